"""The starting amenity vocabulary. Streets add more in the admin (no migration needed)."""

from django.db import migrations

AMENITIES = [
    ("charging", "充电", "🔌"),
    ("battery_swap", "换电", "🔋"),
    ("hot_water", "热水", "♨️"),
    ("microwave", "微波炉", "🍱"),
    ("fridge", "冰箱", "🧊"),
    ("air_conditioning", "空调", "❄️"),
    ("toilet", "卫生间", "🚻"),
    ("drinking_water", "饮用水", "🚰"),
    ("seating", "休息座椅", "🪑"),
    ("first_aid", "应急药箱", "⛑️"),
    ("rain_gear", "雨具", "☂️"),
    ("rider_parking", "骑手停车位", "🛵"),
    ("safety_education", "安全教育", "📘"),
    ("wifi", "无线网络", "📶"),
    ("phone_charging", "手机充电", "📱"),
]


def forwards(apps, schema_editor):
    Amenity = apps.get_model("stations", "Amenity")
    for order, (code, name, icon) in enumerate(AMENITIES):
        Amenity.objects.get_or_create(code=code, defaults={"name": name, "icon": icon, "sort_order": order * 10})


def backwards(apps, schema_editor):
    Amenity = apps.get_model("stations", "Amenity")
    Amenity.objects.filter(code__in=[code for code, _name, _icon in AMENITIES], stations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("stations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
