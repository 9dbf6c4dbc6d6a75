import io

import pytest
from django.db.models import Count

from housing import demo
from housing.models import Application, Bed, Lease, Offer, Project, RoomType

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        Project.objects.count(),
        Bed.objects.count(),
        Application.objects.count(),
        Offer.objects.count(),
        Lease.objects.count(),
        tuple(Bed.objects.values_list("status").annotate(n=Count("id")).order_by("status")),
    )


def test_small_demo_is_idempotent_and_consistent(streets):
    demo.load(stdout=io.StringIO(), small=True)
    first = _snapshot()
    demo.load(stdout=io.StringIO(), small=True)
    assert _snapshot() == first
    assert set(Project.objects.values_list("name", flat=True)) >= {"七彩家园", "晨光家园", "城市建设者之家", "怡舍公寓"}
    assert 20 <= Bed.objects.count() <= 60
    rents = RoomType.objects.values_list("rent", flat=True)
    assert min(rents) >= 600 and max(rents) <= 1200
    # occupancy figures match the beds: occupied beds are exactly those under active leases, held under open offers
    leased = (
        Lease.objects.active().filter(bed__isnull=False).count()
        + Bed.objects.filter(room__leases__status="active").count()
    )
    assert Bed.objects.filter(status="occupied").count() == leased
    offered = (
        Offer.objects.open().filter(bed__isnull=False).count() + Bed.objects.filter(room__offers__status="open").count()
    )
    assert Bed.objects.filter(status="held").count() == offered
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {"accepted", "waitlisted", "offered", "rejected"} <= statuses
