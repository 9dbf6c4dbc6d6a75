import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.sms import read_sms_files
from chaoyang_friendly.errors import ConflictError
from housing.models import Application, Bed, Offer
from housing.services import (
    application_waitlist_positions,
    application_withdraw,
    bed_allocate,
    lease_end,
    offer_accept,
    offer_decline,
    offers_expire_overdue,
)
from housing.tasks import offers_expire_task, vacancies_fill_task

from .factories import make_rider

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_dorm(dorm):
    """The dorm with every bed occupied (no leases needed for queue tests)."""
    Bed.objects.filter(room__room_type=dorm).update(status="occupied")
    return dorm


def _queue(full_dorm, submit, n=3):
    return [submit(make_rider(name=f"骑手{i}"), full_dorm) for i in range(n)]


def test_waitlist_orders_by_priority_then_time(full_dorm, submit, rules):
    with time_machine.travel("2026-11-01 09:00 +0800", tick=False):
        a = submit(make_rider(), full_dorm)
    with time_machine.travel("2026-11-01 10:00 +0800", tick=False):
        b = submit(make_rider(), full_dorm)
    with time_machine.travel("2026-11-01 11:00 +0800", tick=False):
        c = submit(make_rider(), full_dorm, priority=5)
    positions = {app.pk: application_waitlist_positions(application=app)[full_dorm.pk] for app in (a, b, c)}
    assert positions == {c.pk: 1, a.pk: 2, b.pk: 3}


def test_a_freed_bed_goes_to_the_head_of_the_queue_by_sms(full_dorm, submit, rules):
    with time_machine.travel("2026-11-01 09:00 +0800", tick=False):
        first, second = _queue(full_dorm, submit, 2)
    bed = Bed.objects.filter(room__room_type=full_dorm).first()
    bed.status = "available"
    bed.save()
    from housing.services import room_type_fill_vacancies

    with time_machine.travel("2026-11-02 09:00 +0800", tick=False):
        offers = room_type_fill_vacancies(room_type=full_dorm)
    assert [o.application_id for o in offers] == [first.pk]
    offer = offers[0]
    assert offer.deadline == datetime.datetime(2026, 11, 4, 9, 0, tzinfo=datetime.UTC) - datetime.timedelta(hours=8)
    bed.refresh_from_db()
    assert bed.status == "held"
    first.refresh_from_db()
    assert first.status == Application.Status.OFFERED
    assert application_waitlist_positions(application=Application.objects.get(pk=second.pk)) == {full_dorm.pk: 1}


def test_offer_sms_is_sent_after_commit(full_dorm, submit, rules, django_capture_on_commit_callbacks):
    first = _queue(full_dorm, submit, 1)[0]
    Bed.objects.filter(room__room_type=full_dorm).update(status="available")
    from housing.services import room_type_fill_vacancies

    with django_capture_on_commit_callbacks(execute=True):
        room_type_fill_vacancies(room_type=full_dorm)
    texts = [m["text"] for m in read_sms_files(first.rider.phone)]
    assert len(texts) == 1 and full_dorm.project.name in texts[0] and "800元" in texts[0]


def test_decline_promotes_the_next_in_line(full_dorm, submit, rules):
    first, second, third = _queue(full_dorm, submit)
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=full_dorm).first().pk).update(status="available")
    from housing.services import room_type_fill_vacancies

    offer = room_type_fill_vacancies(room_type=full_dorm)[0]
    offer_decline(offer=offer, actor=first.rider)
    first.refresh_from_db()
    assert first.status == Application.Status.DECLINED
    nxt = Offer.objects.get(status="open")
    assert nxt.application_id == second.pk and nxt.bed_id == offer.bed_id
    assert Application.objects.get(pk=third.pk).status == Application.Status.WAITLISTED


def test_expiry_promotes_automatically_via_beat_task(full_dorm, submit, rules):
    first, second = _queue(full_dorm, submit, 2)
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=full_dorm).first().pk).update(status="available")
    from housing.services import room_type_fill_vacancies

    with time_machine.travel("2026-11-02 09:00 +0800", tick=False):
        offer = room_type_fill_vacancies(room_type=full_dorm)[0]
    with time_machine.travel("2026-11-04 08:59 +0800", tick=False):
        assert offers_expire_overdue() == 0  # still within 48 h
    with time_machine.travel("2026-11-04 09:01 +0800", tick=False):
        assert offers_expire_task.apply().get() == 1
        assert offers_expire_task.apply().get() == 0  # safe to run twice
    offer.refresh_from_db()
    assert offer.status == "expired"
    assert Application.objects.get(pk=first.pk).status == Application.Status.EXPIRED
    assert Offer.objects.get(status="open").application_id == second.pk


def test_an_overdue_offer_cannot_be_accepted(full_dorm, submit, rules):
    first = _queue(full_dorm, submit, 1)[0]
    Bed.objects.filter(room__room_type=full_dorm).update(status="available")
    from housing.services import room_type_fill_vacancies

    offer = room_type_fill_vacancies(room_type=full_dorm)[0]
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=49)), pytest.raises(ConflictError):
        offer_accept(offer=offer, actor=first.rider)


def test_accept_makes_a_lease_and_move_out_offers_the_bed_to_the_next(full_dorm, submit, rules, staff_a):
    first, second = _queue(full_dorm, submit, 2)
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=full_dorm).first().pk).update(status="available")
    from housing.services import room_type_fill_vacancies

    offer = room_type_fill_vacancies(room_type=full_dorm)[0]
    lease = offer_accept(offer=offer, actor=first.rider)
    assert lease.tenant == first.rider and lease.monthly_rent == 800 and lease.bed_id == offer.bed_id
    assert Bed.objects.get(pk=offer.bed_id).status == "occupied"
    assert Application.objects.get(pk=first.pk).status == Application.Status.ACCEPTED
    assert Offer.objects.get(pk=offer.pk).status == "accepted"
    lease_end(lease=lease, actor=staff_a)
    lease.refresh_from_db()
    assert (lease.status, lease.allocated_by, lease.ended_by) == ("ended", first.rider, staff_a)
    nxt = Offer.objects.get(status="open")
    assert nxt.application_id == second.pk and nxt.bed_id == offer.bed_id
    assert Bed.objects.get(pk=offer.bed_id).status == "held"
    with pytest.raises(ConflictError):
        lease_end(lease=lease, actor=staff_a)


def test_withdrawing_an_offered_application_passes_the_bed_on(full_dorm, submit, rules):
    first, second = _queue(full_dorm, submit, 2)
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=full_dorm).first().pk).update(status="available")
    from housing.services import room_type_fill_vacancies

    offer = room_type_fill_vacancies(room_type=full_dorm)[0]
    application_withdraw(application=first, actor=first.rider)
    assert Offer.objects.get(pk=offer.pk).status == "cancelled"
    assert Offer.objects.get(status="open").application_id == second.pk
    history = list(Application.objects.get(pk=first.pk).status_changes.values_list("to_status", flat=True))
    assert history[-2:] == ["offered", "withdrawn"]


def test_gender_rule_skips_applicants_the_room_does_not_admit(full_dorm, submit, rules):
    woman = submit(make_rider(), full_dorm, gender="female")
    man = submit(make_rider(), full_dorm, gender="male")
    room = full_dorm.rooms.first()
    room.gender_rule = "male"
    room.save()
    Bed.objects.filter(pk=room.beds.first().pk).update(status="available")
    from housing.services import room_type_fill_vacancies

    assert [o.application_id for o in room_type_fill_vacancies(room_type=full_dorm)] == [man.pk]
    assert Application.objects.get(pk=woman.pk).status == Application.Status.WAITLISTED


def test_allocation_refuses_a_taken_bed_with_a_clear_conflict(full_dorm, submit, rules, staff_a):
    app = _queue(full_dorm, submit, 1)[0]
    bed = Bed.objects.filter(room__room_type=full_dorm).first()
    with pytest.raises(ConflictError, match="已被分配"):
        bed_allocate(bed=bed, application=app, actor=staff_a)


def test_sweeper_offers_beds_freed_outside_the_services(full_dorm, submit, rules, settings):
    first = _queue(full_dorm, submit, 1)[0]
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=full_dorm).first().pk).update(status="available")
    assert Application.objects.get(pk=first.pk).status == Application.Status.WAITLISTED
    assert vacancies_fill_task.apply().get() == 1
    assert vacancies_fill_task.apply().get() == 0
    assert Offer.objects.get(status="open").application_id == first.pk
    assert "housing-vacancies-fill" in settings.CELERY_BEAT_SCHEDULE
