"""Every rider page, with the rows that make it show what a rider sees on a normal day: for the audits
that visit them all (test_a11y.py, test_tap_targets.py) and the page-weight bench (bench/page_weight.py).

`rider_world(streets, rider, rider_b)` creates the rows and returns the pages as {name: (path, who)},
`who` being "anon", "rider" (has an open report, a housing offer, a confirmed sign-up) or "rider_b" (a
rider with nothing yet, who can still apply for housing)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

MAP_PAGES = {"stations-nearby", "reports-new", "housing-index", "housing-project"}


def rider_world(streets, rider, rider_b) -> dict[str, tuple[str, str]]:
    from housing.models import EligibilityRule
    from housing.services import application_submit
    from partybranch.models import Activity
    from partybranch.services import registration_create
    from reports.models import Category, Report
    from tests.housing.factories import ProjectFactory, default_rules, make_room_type
    from tests.partybranch.factories import ActivityFactory, TeamFactory, me
    from tests.reports.factories import CategoryFactory, ReportFactory
    from tests.stations.factories import StationFactory

    now = timezone.now()
    station = StationFactory(name="双井骑手驿站", address="双井东三环中路1号")
    category = Category.objects.filter(name="信号灯故障").first() or CategoryFactory(code="signal", name="信号灯故障")
    report = ReportFactory(
        reporter=rider,
        category=category,
        street=streets["SJ"],
        status=Report.Status.ROUTED,
        arrival_due_at=now + timedelta(minutes=25),
        resolve_due_at=now + timedelta(hours=2),
    )
    if not EligibilityRule.objects.exists():  # a bare test database; the demo's own rules stand
        default_rules()
    dorm = make_room_type(project=ProjectFactory(name="双井骑手公寓"), name="六人间床位", beds=2, rooms=1, rent=650)
    application_submit(
        rider=rider,
        project=dorm.project,
        room_types=[dorm],
        household_kind="single",
        gender="male",
        move_in_date=timezone.localdate(),
    )  # a free bed: an offer at once
    activity = ActivityFactory(street=streets["SJ"], title="乐游北京家庭日")
    registration = registration_create(activity=activity, rider=rider, people=[me(rider)], actor=rider)
    other = ActivityFactory(street=streets["SJ"], title="红驿课堂", kind=Activity.Kind.CLASS, family_allowed=False)
    TeamFactory(street=streets["SJ"])
    return {
        "home-anon": ("/", "anon"),
        "login": ("/accounts/login/", "anon"),
        "home": ("/", "rider"),
        "profile": ("/accounts/me/", "rider"),
        "stations-nearby": ("/stations/", "rider"),
        "stations-detail": (f"/stations/{station.pk}/", "rider"),
        "reports-new": ("/reports/", "rider"),
        "reports-mine": ("/reports/mine/", "rider"),
        "reports-detail": (f"/reports/{report.pk}/", "rider"),
        "housing-index": ("/housing/", "rider"),
        "housing-project": (f"/housing/projects/{dorm.project.pk}/", "rider"),
        "housing-apply": (f"/housing/projects/{dorm.project.pk}/apply/", "rider_b"),
        "housing-my": ("/housing/me/", "rider"),
        "activities-list": ("/activities/", "rider"),
        "activities-detail": (f"/activities/{other.pk}/", "rider"),
        "activities-mine": ("/activities/mine/", "rider"),
        "activities-registration": (f"/activities/registrations/{registration.pk}/", "rider"),
        "volunteer-hours": ("/activities/hours/", "rider"),
    }


PAGE_NAMES = [
    "home-anon",
    "login",
    "home",
    "profile",
    "stations-nearby",
    "stations-detail",
    "reports-new",
    "reports-mine",
    "reports-detail",
    "housing-index",
    "housing-project",
    "housing-apply",
    "housing-my",
    "activities-list",
    "activities-detail",
    "activities-mine",
    "activities-registration",
    "volunteer-hours",
]


def visit_every_page(
    page: Any,
    base_url: str,
    pages: dict[str, tuple[str, str]],
    login: Callable[[Any, str], None],
    phones: dict[str, str],
    check: Callable[[Any, str], Any],
    names: list[str] | None = None,
) -> dict[str, Any]:
    """Open each page as its person (anonymous first, then each rider, signing in once through the SMS
    page) once everything on it has loaded, and return {name: check(page, name)}."""
    results: dict[str, Any] = {}
    current = "anon"
    order = sorted(names or PAGE_NAMES, key=lambda n: ["anon", "rider", "rider_b"].index(pages[n][1]))
    for name in order:
        path, who = pages[name]
        if who != current:
            page.context.clear_cookies()
            login(page, phones[who])
            current = who
        page.goto(f"{base_url}{path}", wait_until="networkidle")
        assert page.url.endswith(path), f"{name}: {path} redirected to {page.url}"
        results[name] = check(page, name)
    return results
