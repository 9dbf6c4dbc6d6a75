import pytest
from django.db import IntegrityError, transaction

from accounts.sms import read_sms_files
from chaoyang_friendly.errors import ApplicationError, ConflictError
from partybranch.models import Activity, AuditEvent, Registration
from partybranch.services import activity_capacity_change, registration_cancel, registration_create

from .factories import ActivityFactory, BranchFactory, MembershipFactory, RiderFactory, child, me, spouse


@pytest.fixture
def family_day(streets):
    return ActivityFactory(street=streets["AYC"], capacity=4)


def _signup(activity, rider, *extra):
    return registration_create(activity=activity, rider=rider, people=[me(rider), *extra], actor=rider)


def test_a_family_that_fits_is_confirmed_together_and_counted(family_day, rider):
    reg = _signup(family_day, rider, child(age=6), spouse())
    family_day.refresh_from_db()
    assert reg.status == Registration.Status.CONFIRMED and reg.people == 3
    assert [p.relationship for p in reg.persons.all()] == ["self", "child", "spouse"]
    assert family_day.confirmed_people == 3 and family_day.remaining == 1
    assert AuditEvent.objects.filter(registration=reg, verb="registered", actor=rider).exists()


def test_a_family_that_does_not_fit_is_waitlisted_whole(family_day, rider, rider_b):
    _signup(family_day, rider, child(), spouse())
    reg = _signup(family_day, rider_b, child("小红", 5))
    family_day.refresh_from_db()
    assert reg.status == Registration.Status.WAITLISTED
    assert family_day.confirmed_people == 3  # nobody of the second family took the last place


def test_cancel_promotes_the_first_waitlisted_family_that_fits_and_texts_them(
    family_day, rider, rider_b, django_capture_on_commit_callbacks
):
    first = _signup(family_day, rider, child(), spouse())  # 3 of 4
    big = _signup(family_day, rider_b, child("小红", 5), spouse("赵女士"))  # 3: waits
    small = _signup(family_day, RiderFactory(), child("小刚", 7))  # 2: waits, later
    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(registration=first, actor=rider)
    big.refresh_from_db()
    small.refresh_from_db()
    family_day.refresh_from_db()
    assert big.status == Registration.Status.CONFIRMED  # first in line, and 3 now fit
    assert small.status == Registration.Status.WAITLISTED  # 3 + 2 > 4
    assert family_day.confirmed_people == 3
    texts = read_sms_files(rider_b.phone)
    assert len(texts) == 1 and "候补转为正式名额" in texts[0]["text"]
    assert read_sms_files(small.rider.phone) == []


def test_promotion_skips_a_family_too_big_for_the_freed_places(family_day, rider, rider_b):
    first = _signup(family_day, rider)  # 1
    _signup(family_day, RiderFactory(), child(), spouse())  # 3 → full
    big = _signup(family_day, rider_b, child("小红", 5))  # 2: waits
    single = _signup(family_day, RiderFactory())  # 1: waits
    registration_cancel(registration=first, actor=rider)  # frees 1
    big.refresh_from_db()
    single.refresh_from_db()
    assert (big.status, single.status) == ("waitlisted", "confirmed")


def test_cancel_is_idempotent_and_keeps_the_counter(family_day, rider):
    reg = _signup(family_day, rider, child())
    registration_cancel(registration=reg, actor=rider)
    registration_cancel(registration=reg, actor=rider)
    family_day.refresh_from_db()
    assert family_day.confirmed_people == 0
    assert AuditEvent.objects.filter(registration=reg, verb="cancelled").count() == 1


def test_one_active_registration_per_rider_but_a_new_one_after_cancelling(family_day, rider):
    reg = _signup(family_day, rider)
    with pytest.raises(ConflictError):
        _signup(family_day, rider)
    registration_cancel(registration=reg, actor=rider)
    again = _signup(family_day, rider)
    assert again.status == "confirmed" and again.pk != reg.pk


def test_the_database_refuses_a_second_active_registration(family_day, rider):
    _signup(family_day, rider)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(activity=family_day, rider=rider, people=1, status="waitlisted")


def test_the_counter_cannot_pass_capacity_even_outside_the_service(family_day):
    from django.db.models import F

    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=family_day.pk).update(confirmed_people=F("capacity") + 1)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([child(age=2)], "不在本活动的年龄范围"),
        ([child(age=15)], "不在本活动的年龄范围"),
        ([{"name": "小明", "relationship": "child", "age": None}], "请填写孩子"),
        ([{"name": "", "relationship": "spouse", "age": 30}], "姓名"),
        ([{"name": "某人", "relationship": "self", "age": 30}], "只能有一位本人"),
        ([child(), child("二宝", 4), child("三宝", 5), child("四宝", 6), spouse(), spouse("奶奶")], "最多"),
    ],
)
def test_family_rules_are_checked(streets, rider, extra, message):
    activity = ActivityFactory(street=streets["AYC"], capacity=20)
    with pytest.raises(ApplicationError, match=message):
        _signup(activity, rider, *extra)
    assert not Registration.objects.exists()


def test_family_members_are_refused_when_the_activity_is_for_the_rider_only(streets, rider):
    activity = ActivityFactory(street=streets["TJH"], kind="class", family_allowed=False)
    with pytest.raises(ApplicationError, match="不能携带家属"):
        _signup(activity, rider, spouse())
    assert _signup(activity, rider).people == 1


def test_audience_riders_only_and_party_members_only(streets, rider, staff_a):
    riders_only = ActivityFactory(street=streets["SJ"], audience="riders")
    with pytest.raises(ApplicationError, match="仅面向新就业群体"):
        _signup(riders_only, staff_a)
    members_only = ActivityFactory(street=streets["SJ"], audience="party_members")
    with pytest.raises(ApplicationError, match="仅面向党员"):
        _signup(members_only, rider)
    MembershipFactory(user=rider, branch=BranchFactory(street=streets["SJ"]))
    assert _signup(members_only, rider).status == "confirmed"


def test_drafts_and_past_deadlines_are_closed(streets, rider):
    from datetime import timedelta

    from django.utils import timezone

    with pytest.raises(ApplicationError, match="未开放"):
        _signup(ActivityFactory(street=streets["SJ"], status="draft"), rider)
    closed = ActivityFactory(street=streets["SJ"], signup_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ApplicationError, match="截止"):
        _signup(closed, rider)


def test_more_places_promote_the_waitlist_and_fewer_than_confirmed_is_refused(family_day, rider, rider_b):
    _signup(family_day, rider, child(), spouse())
    waiting = _signup(family_day, rider_b, child("小红", 5))
    with pytest.raises(ConflictError):
        activity_capacity_change(activity=family_day, capacity=2, actor=rider)
    activity_capacity_change(activity=family_day, capacity=5, actor=rider)
    waiting.refresh_from_db()
    family_day.refresh_from_db()
    assert waiting.status == "confirmed" and family_day.confirmed_people == 5
