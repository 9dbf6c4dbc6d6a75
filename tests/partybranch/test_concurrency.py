"""200 families race for 30 places on PostgreSQL, with real threads and connections.

At most ~40 threads hold a connection at once (PostgreSQL's max_connections is 100 and other test runs
share the server), but all 200 are released together and race for the same activity row.
"""

import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from accounts.models import Role, User
from chaoyang_friendly.errors import ApplicationError
from partybranch.models import Activity, Registration
from partybranch.services import registration_create

from .factories import ActivityFactory

THREADS = 200
PLACES = 30
MAX_CONNECTIONS = 40


def _families(n: int) -> list[tuple[User, list[dict]]]:
    riders = User.objects.bulk_create(
        User(phone=f"1372{i:07d}", name=f"并发骑手{i}", role=Role.RIDER, password="!") for i in range(n)
    )
    rng = random.Random(6)
    families = []
    for rider in riders:
        size = rng.randint(1, 3)
        people = [{"name": rider.name, "relationship": "self", "age": 30}]
        people += [{"name": f"孩子{k}", "relationship": "child", "age": 6 + k} for k in range(size - 1)]
        families.append((rider, people))
    return families


def _race(work) -> list[BaseException]:
    """Run work(i) in THREADS threads released together; at most MAX_CONNECTIONS at once."""
    start = threading.Event()
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        with gate:
            try:
                work(i)
            except BaseException as exc:  # collected and asserted on by the test
                errors.append(exc)
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(timeout=120)
    return errors


def _confirmed_people(activity: Activity) -> int:
    return activity.registrations.filter(status="confirmed").aggregate(n=Sum("people"))["n"] or 0


@pytest.mark.django_db(transaction=True)
def test_200_families_never_overfill_30_places(streets):
    activity = ActivityFactory(street=streets["AYC"], capacity=PLACES, child_min_age=0, child_max_age=14)
    families = _families(THREADS)
    began = time.monotonic()

    def work(i: int) -> None:
        rider, people = families[i]
        registration_create(activity=activity, rider=rider, people=people, actor=rider)

    errors = _race(work)
    elapsed = time.monotonic() - began
    assert errors == []
    activity.refresh_from_db()
    confirmed = _confirmed_people(activity)
    waitlisted = activity.registrations.filter(status="waitlisted")
    assert confirmed <= PLACES
    assert confirmed == activity.confirmed_people
    assert activity.registrations.count() == THREADS
    assert waitlisted.count() == THREADS - activity.registrations.filter(status="confirmed").count()
    # Every waitlisted family was too big for the places left when its turn came.
    assert PLACES - confirmed < min(waitlisted.values_list("people", flat=True))
    print(
        f"\n[with lock] {THREADS} families ({sum(len(p) for _r, p in families)} people) for {PLACES} places: "
        f"{confirmed} people confirmed in {activity.registrations.filter(status='confirmed').count()} families, "
        f"counter {activity.confirmed_people}, {waitlisted.count()} families waitlisted, {elapsed:.1f}s"
    )


def _naive_registration_create(*, activity_id: int, rider: User, people: list[dict]) -> None:
    """What the service would be without the row lock and the counter: read the free places, then write."""
    with transaction.atomic():
        taken = Registration.objects.filter(activity_id=activity_id, status="confirmed").aggregate(n=Sum("people"))
        capacity = Activity.objects.values_list("capacity", flat=True).get(pk=activity_id)
        time.sleep(0.01)  # a request's ordinary latency between the read and the write
        fits = (taken["n"] or 0) + len(people) <= capacity
        Registration.objects.create(
            activity_id=activity_id, rider=rider, people=len(people), status="confirmed" if fits else "waitlisted"
        )


@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_lock_overfills(streets):
    activity = ActivityFactory(street=streets["AYC"], capacity=PLACES, child_min_age=0, child_max_age=14)
    families = _families(THREADS)

    def work(i: int) -> None:
        rider, people = families[i]
        _naive_registration_create(activity_id=activity.pk, rider=rider, people=people)

    errors = _race(work)
    assert [e for e in errors if not isinstance(e, ApplicationError)] == []
    confirmed = _confirmed_people(activity)
    print(f"\n[no lock]   {THREADS} families for {PLACES} places: {confirmed} people confirmed (over-filled)")
    assert confirmed > PLACES
