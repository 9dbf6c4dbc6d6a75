from io import StringIO

from stations import demo
from stations.models import Station, Visit


def test_small_demo_is_idempotent_and_inside_streets(streets):
    demo.load(stdout=StringIO(), small=True)
    stations = Station.objects.count()
    visits = Visit.objects.count()
    assert stations == demo.SMALL_STATIONS + 4  # + the 4 seed stations/merchants
    assert visits > 0
    demo.load(stdout=StringIO(), small=True)
    assert (Station.objects.count(), Visit.objects.count()) == (stations, visits)
    assert Station.objects.filter(opening_hours="24/7", kind="all_hours").count() == demo.SMALL_ALL_HOURS
    seed = Station.objects.get(code="SEED01")
    assert seed.name == "二十二院街艺术区小哥加油站" and seed.kind == "refuel" and seed.street.code == "SJ"
    assert "charging" in seed.amenities.values_list("code", flat=True)
    for station in Station.objects.select_related("street"):
        assert station.street.boundary.intersects(station.point), station.name


def test_generated_ports_add_up_to_the_district_totals(streets):
    import random

    rows = demo._generated(random.Random(1), list(streets.values()), 400, 79, 1.0)
    assert sum(s.charging_ports for s, _c in rows) == demo.TOTAL_CHARGING_PORTS
    assert sum(s.swap_ports for s, _c in rows) == demo.TOTAL_SWAP_PORTS
    assert sum(1 for s, _c in rows if s.opening_hours == "24/7") == 79
