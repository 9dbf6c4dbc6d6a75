"""Fifty staff requests for the same bed at the same moment: one lease, 49 clean refusals.

Real threads against PostgreSQL, each with its own connection. The negative control runs a deliberately
naive allocation (no row lock) against the table with the one-active-lease-per-bed constraint dropped,
and shows the double booking that the lock and the constraint prevent.
"""

import threading
import time
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chaoyang_friendly.errors import ConflictError
from housing.models import Application, Bed, Lease
from housing.services import bed_allocate

from .factories import make_rider, make_room_type

THREADS = 50
ROUNDS = 5

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def contest(streets, staff_a):
    """One free bed and 50 waitlisted applications for its room type."""
    room_type = make_room_type(beds=1, rooms=1)
    bed = Bed.objects.get(room__room_type=room_type)
    riders = [make_rider() for _ in range(THREADS)]
    apps = Application.objects.bulk_create(
        [
            Application(
                rider=r,
                project=room_type.project,
                gender="male",
                move_in_date=timezone.localdate(),
                status="waitlisted",
            )
            for r in riders
        ]
    )
    through = Application.room_types.through
    through.objects.bulk_create([through(application=a, roomtype=room_type) for a in apps])
    return bed, apps, staff_a


def _reset(bed, apps):
    Lease.objects.all().delete()
    Bed.objects.filter(pk=bed.pk).update(status="available")
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(status="waitlisted")


def _race(worker) -> tuple[Counter, float]:
    """Run worker(i) in THREADS threads released together; return outcome counts and seconds."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = worker(i)
        except ConflictError:
            result = "refused"
        except IntegrityError:
            result = "constraint"
        except Exception as exc:
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(outcomes), time.perf_counter() - started


def test_fifty_threads_allocating_one_bed_make_exactly_one_lease(contest, capsys):
    bed, apps, staff = contest
    for round_no in range(1, ROUNDS + 1):
        _reset(bed, apps)

        def worker(i: int) -> str:
            bed_allocate(bed=Bed(pk=bed.pk), application=apps[i], actor=staff)
            return "lease"

        outcomes, seconds = _race(worker)
        leases = Lease.objects.filter(bed=bed, status="active").count()
        with capsys.disabled():
            print(
                f"\n[housing concurrency] locked round {round_no}: leases={leases} "
                f"refusals={outcomes['refused']} other={sum(outcomes.values()) - outcomes['lease'] - outcomes['refused']} "
                f"seconds={seconds:.2f}"
            )
        assert outcomes == Counter({"lease": 1, "refused": THREADS - 1}), outcomes
        assert leases == 1
        assert Bed.objects.get(pk=bed.pk).status == "occupied"
        assert Application.objects.filter(status="accepted").count() == 1


def _naive_allocate(bed_id: int, application: Application) -> str:
    """What not to do: check then write, without a row lock (the pause stands for real work in between)."""
    with transaction.atomic():
        bed = Bed.objects.get(pk=bed_id)
        if bed.status != "available":
            raise ConflictError("taken")
        time.sleep(0.05)
        Lease.objects.create(
            project_id=application.project_id,
            bed=bed,
            tenant_id=application.rider_id,
            application=application,
            start=timezone.localdate(),
            monthly_rent=800,
        )
        Bed.objects.filter(pk=bed_id).update(status="occupied")
    return "lease"


def test_negative_control_without_lock_and_constraint_double_books(contest, capsys):
    bed, apps, _staff = contest
    constraint = next(c for c in Lease._meta.constraints if c.name == "housing_one_active_lease_per_bed")

    # Without the lock but with the constraint: still exactly one lease (what holds on SpatiaLite).
    _reset(bed, apps)
    outcomes, seconds = _race(lambda i: _naive_allocate(bed.pk, apps[i]))
    with capsys.disabled():
        print(
            f"\n[housing concurrency] no lock, constraint kept: leases={outcomes['lease']} "
            f"constraint_refusals={outcomes['constraint']} refusals={outcomes['refused']} seconds={seconds:.2f}"
        )
    assert outcomes["lease"] == 1
    assert outcomes["constraint"] >= 1  # the race happened and the constraint caught it

    _reset(bed, apps)
    with connection.schema_editor() as editor:
        editor.remove_constraint(Lease, constraint)
    try:
        outcomes, seconds = _race(lambda i: _naive_allocate(bed.pk, apps[i]))
        leases = Lease.objects.filter(bed=bed, status="active").count()
        with capsys.disabled():
            print(
                f"\n[housing concurrency] no lock, no constraint: leases={leases} "
                f"refusals={outcomes['refused']} seconds={seconds:.2f}"
            )
        assert leases > 1, "the race did not show; the control proves nothing"
    finally:
        Lease.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Lease, constraint)
