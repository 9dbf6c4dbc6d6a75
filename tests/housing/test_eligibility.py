import pytest

from chaoyang_friendly.errors import ApplicationError, ConflictError
from housing.models import Application, EligibilityRule, Lease
from housing.services import application_submit, bed_allocate

from .factories import ProjectFactory, make_couple_type, make_rider, tomorrow

pytestmark = pytest.mark.django_db


def test_an_eligible_rider_is_waitlisted_with_history(rules, dorm, submit):
    dorm.rooms.first().beds.update(status="occupied")
    rider = make_rider()
    app = submit(rider, dorm)
    assert app.status == Application.Status.WAITLISTED
    assert [c.to_status for c in app.status_changes.all()] == ["submitted", "eligible", "waitlisted"]
    assert all(r["ok"] for r in app.eligibility)


def test_it_rejects_with_the_exact_reason_for_each_failed_rule(rules, dorm, submit):
    rider = make_rider(occupation="other", street_code=None)
    app = submit(rider, dorm)
    assert app.status == Application.Status.REJECTED
    assert app.reason == "需在朝阳区从事快递、外卖或网约车工作。"
    failed = [r["code"] for r in app.eligibility if not r["ok"]]
    assert failed == ["new_employment"]


def test_a_rider_with_an_active_lease_is_told_so(rules, dorm, submit, staff_a):
    rider = make_rider()
    first = submit(rider, dorm)
    assert first.status == Application.Status.OFFERED  # a bed was free: offered at once
    bed = dorm.rooms.first().beds.exclude(status="held").first()
    first.offers.update(status="cancelled")
    dorm.rooms.first().beds.update(status="available")
    bed_allocate(bed=bed, application=first, actor=staff_a)
    assert Lease.objects.active().filter(tenant=rider).count() == 1
    second = submit(rider, dorm)
    assert second.status == Application.Status.REJECTED
    assert "您名下已有在租的保障房。" in second.reason


def test_street_rules_apply_only_to_that_streets_projects(rules, streets, dorm, submit):
    EligibilityRule.objects.create(
        street=streets["SJ"], code="works_in_street", parameters={"streets": ["SJ"]}, failure_message="须在双井工作。"
    )
    other = make_rider(street_code="SLT")
    assert submit(other, dorm).reason == "须在双井工作。"
    elsewhere = make_couple_type(project=ProjectFactory(street=streets["SLT"]))
    app = submit(make_rider(street_code="SLT"), elsewhere)
    assert app.status != Application.Status.REJECTED


def test_household_rule_limits_members_and_room_type_must_match(rules, dorm, submit):
    EligibilityRule.objects.create(code="household_max", parameters={"max": 2}, failure_message="同住人数超过上限。")
    couple = make_couple_type(project=dorm.project)
    members = [{"name": "张三", "relation": "配偶"}, {"name": "张小", "relation": "子女"}]
    app = submit(make_rider(), couple, household_members=members)
    assert app.status == Application.Status.REJECTED
    assert "同住人数超过上限。" in app.reason
    assert "只面向" not in app.reason  # the household kind fits the couple room type


def test_a_room_type_for_another_household_is_a_choice_to_correct_not_a_rejection(rules, dorm, submit):
    """Issue 15: a single applicant choosing 夫妻房 was rejected for good with a two-case reason."""
    couple = make_couple_type(project=dorm.project, name="夫妻房")
    rider = make_rider()
    with pytest.raises(ApplicationError) as wrong:
        submit(rider, couple, household_kind="single")
    assert str(wrong.value) == "“夫妻房”只面向夫妻申请，您选的申请类型是“单身”。请换一个房型，或更改申请类型。"
    with pytest.raises(ApplicationError) as members:
        submit(rider, dorm, household_kind="single", household_members=[{"name": "张三", "relation": "配偶"}])
    assert "单身申请不用填写同住人" in str(members.value)
    assert not Application.objects.filter(rider=rider).exists()  # nothing to be stuck with
    fixed = submit(rider, couple, household_kind="couple", household_members=[{"name": "张三", "relation": "配偶"}])
    assert fixed.status != Application.Status.REJECTED


def test_a_rider_can_apply_again_after_an_ended_application(rules, dorm, submit, staff_a):
    """Rejected, declined and withdrawn applications are closed: the one-open-application rule lets the
    rider apply again, and the new one queues normally."""
    from housing.services import application_withdraw, offer_decline
    from housing.services.applications import application_reject

    rider = make_rider()
    first = submit(rider, dorm)
    application_reject(application=first, actor=staff_a, reason="材料不全")
    second = submit(rider, dorm)
    assert second.status == Application.Status.OFFERED
    offer_decline(offer=second.offers.get(), actor=rider)
    third = submit(rider, dorm)
    application_withdraw(application=third, actor=rider)
    fourth = submit(rider, dorm)
    assert fourth.is_open
    assert Application.objects.filter(rider=rider).count() == 4
    with pytest.raises(ConflictError):
        submit(rider, dorm)  # but still only one open at a time


def test_inactive_rules_are_ignored(rules, dorm, submit):
    EligibilityRule.objects.filter(code="new_employment").update(active=False)
    app = submit(make_rider(occupation="other"), dorm)
    assert app.status != Application.Status.REJECTED


def test_one_open_application_per_rider(rules, dorm, submit):
    rider = make_rider()
    submit(rider, dorm)
    with pytest.raises(ConflictError):
        submit(rider, dorm)
    assert Application.objects.filter(rider=rider).count() == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "不能早于今天"), (400, "天以内")],
)
def test_it_rejects_invalid_move_in_dates(rules, dorm, submit, days, message):
    import datetime

    from django.utils import timezone

    with pytest.raises(ApplicationError, match=message):
        submit(make_rider(), dorm, move_in_date=timezone.localdate() + datetime.timedelta(days=days))
    assert not Application.objects.exists()


def test_it_rejects_room_types_of_another_project_and_closed_projects(rules, dorm):
    other = make_couple_type()
    with pytest.raises(ApplicationError, match="该项目的房型"):
        application_submit(
            rider=make_rider(),
            project=dorm.project,
            room_types=[other],
            household_kind="couple",
            gender="male",
            move_in_date=tomorrow(),
        )
    dorm.project.status = "closed"
    dorm.project.save()
    with pytest.raises(ApplicationError, match="暂不接受"):
        application_submit(
            rider=make_rider(),
            project=dorm.project,
            room_types=[dorm],
            household_kind="single",
            gender="male",
            move_in_date=tomorrow(),
        )


def test_staff_cannot_apply(rules, dorm, submit, staff_a):
    with pytest.raises(ApplicationError, match="只有骑手"):
        submit(staff_a, dorm)
