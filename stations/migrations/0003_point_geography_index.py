"""A GiST index on the stations' points as geography (PostGIS only).

`ORDER BY point::geography <-> q` walks this index in true sphere-distance order, so the nearest list
needs no candidate set and no re-ranking. SpatiaLite has no KNN operator; it keeps the geometry index.
"""

from django.db import migrations

INDEX = "station_point_geog_gist"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("stations", "Station")._meta.db_table)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gist ((point::geography))")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("stations", "0002_amenity_vocabulary")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
