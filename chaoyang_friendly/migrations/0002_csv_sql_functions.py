"""SQL helpers for the COPY path of the CSV exports (chaoyang_friendly/csvsql.py). PostgreSQL only;
SpatiaLite exports use the Python path."""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION cyf_csv_text(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN left(v, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || v ELSE v END
$$;
CREATE OR REPLACE FUNCTION cyf_mask_phone(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT cyf_csv_text(CASE WHEN length(v) = 11 THEN left(v, 3) || '****' || right(v, 4) ELSE repeat('*', length(v)) END)
$$;
CREATE OR REPLACE FUNCTION cyf_csv_bool(v boolean) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v THEN '是' WHEN NOT v THEN '否' END
$$;
CREATE OR REPLACE FUNCTION cyf_csv_minutes(v interval) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT round((extract(epoch FROM v) / 60)::numeric, 1)::text
$$;
CREATE OR REPLACE FUNCTION cyf_csv_minutes(v double precision) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT round(v::numeric, 1)::text
$$;
"""
DROP = """
DROP FUNCTION IF EXISTS cyf_csv_minutes(double precision);
DROP FUNCTION IF EXISTS cyf_csv_minutes(interval);
DROP FUNCTION IF EXISTS cyf_csv_bool(boolean);
DROP FUNCTION IF EXISTS cyf_mask_phone(text);
DROP FUNCTION IF EXISTS cyf_csv_text(text);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("chaoyang_friendly", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
