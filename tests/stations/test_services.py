import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from chaoyang_friendly.errors import ApplicationError, OutsideDistrictError
from stations import services
from stations.models import Feedback, Station, StationEvent, Visit

from .factories import StationFactory


def test_create_stamps_street_from_location_and_logs_event(staff_a, sj_point):
    station = services.station_create(
        actor=staff_a,
        name="双井驿站",
        point=sj_point,
        phone="010-6500 1234",
        opening_hours="24/7",
        amenity_codes=["charging", "hot_water"],
    )
    assert station.street.code == "SJ"
    assert station.phone == "01065001234"
    assert len(station.code) == 7
    assert sorted(station.amenities.values_list("code", flat=True)) == ["charging", "hot_water"]
    assert StationEvent.objects.get(station=station).kind == StationEvent.Kind.CREATED


def test_street_staff_cannot_place_a_station_in_another_street(staff_b, sj_point):
    with pytest.raises(ApplicationError, match="双井"):
        services.station_create(actor=staff_b, name="越界", point=sj_point)
    assert not Station.objects.exists()


def test_district_staff_may_place_anywhere(analyst, slt_point):
    assert services.station_create(actor=analyst, name="三里屯", point=slt_point).street.code == "SLT"


def test_it_rejects_point_outside_every_street(analyst):
    with pytest.raises(OutsideDistrictError):
        services.station_create(actor=analyst, name="外面", point=Point(116.2, 39.5, srid=4326))


@pytest.mark.parametrize(("field", "value"), [("opening_hours", "8 to 8"), ("phone", "12345"), ("kind", "castle")])
def test_it_rejects_invalid_fields(analyst, sj_point, field, value):
    with pytest.raises(ApplicationError, match=field):
        services.station_create(actor=analyst, name="x", point=sj_point, **{field: value})


def test_unknown_amenity_is_rejected(analyst, sj_point):
    with pytest.raises(ApplicationError, match="sauna"):
        services.station_create(actor=analyst, name="x", point=sj_point, amenity_codes=["sauna"])


def test_verify_only_touches_the_actors_street(staff_a, streets, sj_point, slt_point):
    own = StationFactory(point=sj_point)
    other = StationFactory(point=slt_point)
    assert services.station_verify(station_ids=[own.pk, other.pk], actor=staff_a) == 1
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.last_verified_by == staff_a and own.last_verified_at is not None
    assert other.last_verified_at is None
    assert StationEvent.objects.filter(kind="verified").count() == 1


def test_checkin_within_30_minutes_returns_the_same_visit(rider, streets):
    station = StationFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first, created = services.visit_checkin(station=station, rider=rider)
    assert created
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        again, created_again = services.visit_checkin(station=station, rider=rider)
    assert (again.pk, created_again) == (first.pk, False)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        later, created_later = services.visit_checkin(station=station, rider=rider)
    assert created_later and later.pk != first.pk
    assert Visit.objects.count() == 2


def test_checkin_is_per_rider(rider, rider_b, streets):
    station = StationFactory()
    services.visit_checkin(station=station, rider=rider)
    services.visit_checkin(station=station, rider=rider_b)
    assert Visit.objects.count() == 2


def test_checkin_refuses_staff_and_closed_stations(staff_a, rider, streets):
    with pytest.raises(ApplicationError):
        services.visit_checkin(station=StationFactory(), rider=staff_a)
    with pytest.raises(ApplicationError):
        services.visit_checkin(station=StationFactory(status=Station.Status.TEMPORARILY_CLOSED), rider=rider)
    assert not Visit.objects.exists()


def _race(station, rider, n, fn):
    barrier = threading.Barrier(n)
    errors = []

    def tap():
        try:
            barrier.wait()
            fn(station=station, rider=rider)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


# Row locks and real concurrent writers need PostgreSQL (SQLite serialises writers: no race to show).
needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_taps_write_one_visit(rider, streets):
    station = StationFactory()
    assert _race(station, rider, 6, services.visit_checkin) == []
    assert Visit.objects.filter(station=station, rider=rider).count() == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_without_the_lock_concurrent_taps_can_duplicate(rider, streets):
    """Negative control: the same check-then-insert without the station lock lets duplicates through."""
    import time

    from django.db import transaction

    station = StationFactory()

    @transaction.atomic
    def unlocked(*, station, rider):
        recent = Visit.objects.recent_for(station_id=station.pk, rider_id=rider.pk, now=timezone.now(), minutes=30)
        if not recent.exists():
            time.sleep(0.05)  # widen the window between check and insert
            Visit.objects.create(station=station, rider=rider)

    assert _race(station, rider, 6, unlocked) == []
    assert Visit.objects.filter(station=station, rider=rider).count() > 1


def test_feedback_is_recorded_with_an_event(rider, streets):
    station = StationFactory()
    fb = services.feedback_submit(station=station, rider=rider, kind="broken", comment="充电柜坏了")
    assert Feedback.objects.get().comment == "充电柜坏了" and fb.kind == "broken"
    assert StationEvent.objects.filter(station=station, kind="feedback").exists()
    with pytest.raises(ApplicationError):
        services.feedback_submit(station=station, rider=rider, kind="meh")
