from io import StringIO

from partybranch import demo
from partybranch.models import Activity, Branch, Committee, Registration, VolunteerHours


def test_small_demo_is_idempotent_and_consistent(streets, rider):
    demo.load(stdout=StringIO(), small=True)
    counts = [m.objects.count() for m in (Committee, Branch, Activity, Registration, VolunteerHours)]
    demo.load(stdout=StringIO(), small=True)
    assert [m.objects.count() for m in (Committee, Branch, Activity, Registration, VolunteerHours)] == counts
    assert counts[0] == 17
    assert set(Activity.objects.values_list("kind", flat=True)) == set(Activity.Kind.values)
    assert Activity.objects.filter(street__code="TJH", kind="class", title__contains="红驿课堂").exists()
    assert Activity.objects.filter(street__code="AYC", kind="family_day").count() == 2
    for activity in Activity.objects.all():
        confirmed = sum(activity.registrations.filter(status="confirmed").values_list("people", flat=True))
        assert activity.confirmed_people == confirmed <= activity.capacity
    assert VolunteerHours.objects.filter(status="pending").exists()
    assert VolunteerHours.objects.filter(source="scan", attendance__isnull=False).exists()
