"""Demo data for 一张床、一间房: the article's four projects plus generated ones (~10,000 beds at
600–1,200 CNY), eligibility rules, and applications, offers and leases in every state.

Idempotent: projects are keyed by name and a project that already has room types is left alone; demo
riders are keyed by phone and only riders without an application get one. small=True → a few dozen beds.
"""

import csv
import datetime
import random
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from accounts.models import RiderProfile, Role, User
from jurisdictions.models import Street

from .models import (
    Amenity,
    Application,
    ApplicationStatusChange,
    Bed,
    EligibilityRule,
    HouseholdKind,
    Lease,
    Offer,
    Project,
    Room,
    RoomType,
)

DATA = Path(__file__).resolve().parent / "data" / "seed_projects.csv"
RIDER_PHONE_BASE = 13950000000  # demo riders of this app: 1395xxxxxxx
Kind, Mode = RoomType.Kind, RoomType.RentMode

# name, kind, beds per room, rent mode, rent, deposit, household
DORM6 = ("六人间床位", Kind.DORM_BED, 6, Mode.PER_BED, 650, 300, HouseholdKind.SINGLE)
DORM4 = ("四人间床位", Kind.DORM_BED, 4, Mode.PER_BED, 800, 400, HouseholdKind.SINGLE)
DOUBLE = ("双人间床位", Kind.DOUBLE_ROOM, 2, Mode.PER_BED, 1000, 500, HouseholdKind.SINGLE)
COUPLE = ("夫妻房(独立卫浴)", Kind.COUPLE_ROOM, 1, Mode.PER_ROOM, 1200, 1200, HouseholdKind.COUPLE)
FAMILY = ("家庭房", Kind.FAMILY_ROOM, 2, Mode.PER_ROOM, 1200, 1200, HouseholdKind.FAMILY)

SEED_DETAILS: dict[str, dict[str, Any]] = {
    "七彩家园": {
        "amenities": [Amenity.CANTEEN, Amenity.SUPERMARKET, Amenity.SHUTTLE, Amenity.PRIVATE_BATHROOM],
        "types": [(COUPLE, 120), (FAMILY, 30), (DOUBLE, 60)],
        "operator": "金盏乡保障房运营公司",
    },
    "怡舍公寓": {
        "amenities": [Amenity.LAUNDRY, Amenity.CHARGING, Amenity.WIFI],
        "types": [(DORM6, 60), (DORM4, 20)],
        "operator": "怡舍公寓运营方",
    },
    "晨光家园": {"amenities": [Amenity.CANTEEN, Amenity.CHARGING], "types": [(DORM4, 50), (DOUBLE, 40), (COUPLE, 20)]},
    "城市建设者之家": {"amenities": [Amenity.CANTEEN, Amenity.LAUNDRY], "types": [(DORM6, 50), (DORM4, 30)]},
}
GENERATED_NAMES = ["骑手之家", "小哥公寓", "友好家园", "安居驿站", "新就业公寓", "暖心公寓"]
GENERATED_STREETS = [
    "JW",
    "CW",
    "HJL",
    "BLZ",
    "DH",
    "SLT",
    "WJ",
    "JS",
    "AZ",
    "GBD",
    "SJ",
    "PJY",
    "SBLD",
    "CY",
    "TJH",
    "DB",
]


def _projects(small: bool) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    specs = []
    for row in rows:
        detail = SEED_DETAILS[row["name"]]
        types = [(t, 2 if small else n) for t, n in detail["types"][: 1 if small else None]]
        specs.append(
            {
                "name": row["name"],
                "street": row["street_code"],
                "point": (float(row["lng"]), float(row["lat"])),
                "description": row["note"],
                "amenities": [str(a) for a in detail["amenities"]],
                "operator": detail.get("operator", "区保障房运营中心"),
                "types": types,
            }
        )
    if small:
        return specs
    rng = random.Random(5)
    for i in range(26):
        code = GENERATED_STREETS[i % len(GENERATED_STREETS)]
        specs.append(
            {
                "name": f"{GENERATED_NAMES[i % len(GENERATED_NAMES)]}·{code}{i + 1:02d}",
                "street": code,
                "point": None,
                "description": "保障性租赁住房(演示数据)",
                "amenities": rng.sample([str(a) for a in Amenity.values], 3),
                "operator": "区保障房运营中心",
                "types": [(DORM6, 35), (DORM4, 22), (DOUBLE, 15), (COUPLE, 10)],
            }
        )
    return specs


def _rules(streets: dict[str, Street]) -> None:
    """The demo's own rule (the district-wide defaults come from load_reference)."""
    EligibilityRule.objects.get_or_create(
        street=streets["JZ"],
        code=EligibilityRule.Code.HOUSEHOLD_MAX,
        defaults={"parameters": {"max": 4}, "failure_message": "七彩家园每户最多 4 人入住。"},
    )


def _build_project(spec: dict[str, Any], streets: dict[str, Street], rng: random.Random) -> int:
    street = streets[spec["street"]]
    if spec["point"]:
        point = Point(*spec["point"], srid=4326)
    else:
        point = Point(
            street.centre.x + rng.uniform(-0.002, 0.002), street.centre.y + rng.uniform(-0.002, 0.002), srid=4326
        )
    project, _created = Project.objects.get_or_create(
        name=spec["name"],
        defaults={
            "street": street,
            "point": point,
            "address": f"{street.name}(演示地址)",
            "operator": spec["operator"],
            "phone": "010-6500" + str(rng.randint(1000, 9999)),
            "amenities": spec["amenities"],
            "description": spec["description"],
        },
    )
    if project.room_types.exists():
        return 0
    beds = 0
    for (name, kind, per_room, mode, rent, deposit, household), n_rooms in spec["types"]:
        rent = min(1200, max(600, rent + rng.choice([-50, 0, 0, 50])))
        room_type = RoomType.objects.create(
            project=project,
            name=name,
            kind=kind,
            beds_per_room=per_room,
            rent_mode=mode,
            rent=rent,
            deposit=deposit,
            household=household,
        )
        rooms = Room.objects.bulk_create(
            [
                Room(
                    room_type=room_type,
                    number=f"{kind[:1].upper()}{(i // 20) + 1}{i % 20 + 1:02d}",
                    floor=(i // 20) + 1,
                    gender_rule=(Room.GenderRule.FEMALE if i % 5 == 4 else Room.GenderRule.MALE)
                    if mode == Mode.PER_BED and per_room > 2
                    else Room.GenderRule.ANY,
                )
                for i in range(n_rooms)
            ]
        )
        Bed.objects.bulk_create([Bed(room=room, label=f"{b + 1}号床") for room in rooms for b in range(per_room)])
        beds += n_rooms * per_room
    return beds


def _riders(count: int, streets: dict[str, Street]) -> list[User]:
    phones = [str(RIDER_PHONE_BASE + i) for i in range(count)]
    existing = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    codes = list(streets)
    password = make_password(None)
    new = [
        User(phone=p, name=f"演示骑手{i:04d}", role=Role.RIDER, password=password)
        for i, p in enumerate(phones)
        if p not in existing
    ]
    User.objects.bulk_create(new)
    users = list(User.objects.filter(phone__in=phones).order_by("phone"))
    have_profile = set(RiderProfile.objects.filter(user__in=users).values_list("user_id", flat=True))
    occupations = ["food_delivery", "courier", "ride_hailing", "food_delivery"]
    RiderProfile.objects.bulk_create(
        [
            RiderProfile(
                user=u,
                occupation=occupations[i % 4] if i % 37 else "other",
                platform=["美团", "饿了么", "顺丰", "京东", "滴滴"][i % 5],
                work_street=streets[codes[i % len(codes)]],
            )
            for i, u in enumerate(users)
            if u.pk not in have_profile
        ]
    )
    return users


def _people(small: bool, streets: dict[str, Street]) -> tuple[list[User], list[User]]:
    """Tenants (get an active lease) and applicants (other states); riders with an application are skipped."""
    total_beds = Bed.objects.count()
    n_tenants = max(4, int(total_beds * (0.3 if small else 0.62)))
    n_applicants = 12 if small else 420
    riders = _riders(n_tenants + n_applicants, streets)
    busy = set(Application.objects.filter(rider__in=riders).values_list("rider_id", flat=True))
    free = [r for r in riders if r.pk not in busy]
    return free[:n_tenants], free[n_tenants:]


def _bulk_applications(rows: list[dict[str, Any]], now: datetime.datetime) -> list[Application]:
    apps = Application.objects.bulk_create(
        [Application(**{k: v for k, v in r.items() if k != "room_type"}) for r in rows]
    )
    through = Application.room_types.through
    through.objects.bulk_create(
        [through(application=a, roomtype=r["room_type"]) for a, r in zip(apps, rows, strict=True)]
    )
    history = []
    for app in apps:
        steps = ["submitted"] + (["rejected"] if app.status == "rejected" else ["eligible", "waitlisted"])
        if app.status in ("offered", "accepted", "declined", "expired"):
            steps.append("offered")
        if app.status not in steps:
            steps.append(app.status)
        steps = steps[: steps.index(app.status) + 1] if app.status in steps else steps
        history += [
            ApplicationStatusChange(
                application=app, from_status=steps[i - 1] if i else "", to_status=s, at=app.created_at, note=""
            )
            for i, s in enumerate(steps)
        ]
    ApplicationStatusChange.objects.bulk_create(history)
    return apps


def _fill(tenants: list[User], applicants: list[User], rng: random.Random) -> dict[str, int]:
    today = timezone.localdate()
    now = timezone.now()
    ok = [{"code": "new_employment", "ok": True, "message": ""}, {"code": "no_active_lease", "ok": True, "message": ""}]
    # Free units, in a stable order: beds of per-bed types, and whole rooms (with their beds) of per-room types.
    free_beds = list(
        Bed.objects.filter(status="available", room__room_type__rent_mode=Mode.PER_BED)
        .select_related("room__room_type")
        .order_by("id")
    )
    rooms = list(
        Room.objects.filter(room_type__rent_mode=Mode.PER_ROOM)
        .exclude(beds__status__in=["occupied", "held"])
        .select_related("room_type")
        .order_by("id")
        .distinct()
    )
    room_beds: dict[int, list[int]] = {}
    for room_id, bed_id in Bed.objects.filter(room__in=rooms).values_list("room_id", "id"):
        room_beds.setdefault(room_id, []).append(bed_id)
    units: list[tuple[Bed | None, Room]] = [(b, b.room) for b in free_beds] + [(None, r) for r in rooms]
    rng.shuffle(units)

    def app_row(user: User, room: Room, status: str, days_ago: int, **extra: Any) -> dict[str, Any]:
        rt = room.room_type
        return {
            "rider": user,
            "project_id": rt.project_id,
            "room_type": rt,
            "household_kind": rt.household,
            "gender": "female" if room.gender_rule == "female" else "male",
            "household_members": [{"name": "家属", "relation": "配偶"}] if rt.household != "single" else [],
            "move_in_date": today - datetime.timedelta(days=days_ago)
            if status == "accepted"
            else today + datetime.timedelta(days=7),
            "status": status,
            "eligibility": ok,
            "priority": 1 if days_ago % 17 == 0 else 0,
            **extra,
        }

    # 1. Tenants: accepted applications with active leases.
    lease_units = units[: len(tenants)]
    units = units[len(tenants) :]
    rows = [
        app_row(u, room, "accepted", rng.randint(10, 700))
        for u, (_bed, room) in zip(tenants, lease_units, strict=False)
    ]
    apps = _bulk_applications(rows, now)
    leases, taken = [], []
    for app, (bed, room) in zip(apps, lease_units, strict=False):
        leases.append(
            Lease(
                project_id=room.room_type.project_id,
                bed=bed,
                room=None if bed else room,
                tenant_id=app.rider_id,
                application=app,
                start=app.move_in_date,
                monthly_rent=room.room_type.rent,
                deposit=room.room_type.deposit,
            )
        )
        taken += [bed.pk] if bed else room_beds.get(room.pk, [])
    Lease.objects.bulk_create(leases)
    Bed.objects.filter(pk__in=taken).update(status="occupied")

    # 2. Applicants in every other state.
    plan = ["offered", "waitlisted", "declined", "waitlisted", "expired", "withdrawn", "rejected", "waitlisted"]
    plan += ["offered", "submitted", "eligible", "waitlisted"]
    statuses = [plan[i % len(plan)] for i in range(len(applicants))]
    offer_units = units[: statuses.count("offered")]
    units = units[len(offer_units) :]
    any_room = lease_units[0][1] if lease_units else offer_units[0][1]
    rows, unit_for = [], []
    oi = 0
    for user, status in zip(applicants, statuses, strict=True):
        if status == "offered" and oi < len(offer_units):
            bed, room = offer_units[oi]
            oi += 1
        else:
            status = "waitlisted" if status == "offered" else status
            bed, room = None, rng.choice(lease_units)[1] if lease_units else any_room
        extra: dict[str, Any] = {}
        if status == "rejected":
            extra = {
                "reason": "需在朝阳区从事快递、外卖或网约车等新就业形态工作（请在“我的”中填写职业和工作街道）。",
                "eligibility": [{"code": "new_employment", "ok": False, "message": "需在朝阳区从事新就业形态工作。"}],
            }
        rows.append(app_row(user, room, status, 0, **extra))
        unit_for.append((bed, room))
    apps = _bulk_applications(rows, now)
    offers, held = [], []
    for app, (bed, room) in zip(apps, unit_for, strict=True):
        if app.status not in ("offered", "declined", "expired"):
            continue
        if app.status == "offered":
            offers.append(
                Offer(
                    application=app,
                    room_type=room.room_type,
                    bed=bed,
                    room=None if bed else room,
                    deadline=now + datetime.timedelta(hours=rng.randint(2, 47)),
                )
            )
            held += [bed.pk] if bed else room_beds.get(room.pk, [])
        else:  # an offer answered in the past; the unit went on to a tenant
            past_bed = (
                Bed.objects.filter(room=room).order_by("id").first()
                if room.room_type.rent_mode == Mode.PER_BED
                else None
            )
            offers.append(
                Offer(
                    application=app,
                    room_type=room.room_type,
                    bed=past_bed,
                    room=None if past_bed else room,
                    deadline=now - datetime.timedelta(days=rng.randint(3, 30)),
                    status=app.status,
                    responded_at=now - datetime.timedelta(days=2),
                )
            )
    Offer.objects.bulk_create(offers)
    Bed.objects.filter(pk__in=held).update(status="held")

    # 3. Some ended leases (past tenants who moved out) and a few beds out of service.
    ended = [
        Lease(
            project_id=lease.project_id,
            bed=lease.bed,
            room=lease.room,
            tenant_id=applicant.pk,
            start=lease.start - datetime.timedelta(days=400),
            end=lease.start - datetime.timedelta(days=30),
            monthly_rent=lease.monthly_rent,
            deposit=lease.deposit,
            status=Lease.Status.ENDED,
            ended_at=now - datetime.timedelta(days=30),
        )
        for lease, applicant in zip(
            leases[:60], [a for a, s in zip(applicants, statuses, strict=True) if s == "withdrawn"], strict=False
        )
    ]
    Lease.objects.bulk_create(ended)
    spare = [bed.pk for bed, _room in units[::97] if bed is not None]
    Bed.objects.filter(pk__in=spare).update(status="out_of_service")
    return {"leases": len(leases), "offers": len(offers), "ended": len(ended), "applications": len(apps) + len(tenants)}


@transaction.atomic
def load(*, stdout: Any, small: bool) -> None:
    streets = {s.code: s for s in Street.objects.all()}
    rng = random.Random(2026)
    _rules(streets)
    beds = sum(_build_project(spec, streets, rng) for spec in _projects(small))
    if beds == 0 and Application.objects.filter(rider__phone__startswith=str(RIDER_PHONE_BASE)[:4]).exists():
        stdout.write(f"housing: already loaded ({Bed.objects.count()} beds)")
        return
    tenants, applicants = _people(small, streets)
    figures = _fill(tenants, applicants, rng) if tenants or applicants else {}
    stdout.write(f"housing: {Project.objects.count()} projects, {Bed.objects.count()} beds, {figures}")
