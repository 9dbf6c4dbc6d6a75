"""Demo data: 17 industry committees, 50 branches over the streets, members, and a month of activities
of every kind (two weeks back, two weeks ahead) with registrations, attendance and volunteer hours —
including 团结湖's 红驿课堂 and 骑手团 meal delivery to the elderly canteen, and 奥运村's family days.

Idempotent: committees, branches and teams are keyed by name, demo riders by phone (1396xxxxxxx), and the
activities are created only when none of the demo's activities exist yet. Rows are written in bulk (the
counter `confirmed_people` is set to the sum of the confirmed families, as the services would).
small=True → 17 committees, a handful of branches and the seven named activities.
"""

import csv
import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from accounts.models import RiderProfile, Role, User
from jurisdictions.models import Street

from .models import (
    Activity,
    Attendance,
    Branch,
    Committee,
    Membership,
    Registration,
    RegistrationPerson,
    Session,
    VolunteerHours,
    VolunteerTeam,
)

DATA = Path(__file__).resolve().parent / "data" / "seed_places.csv"
RIDER_PHONE_BASE = 13960000000  # demo riders of this app: 1396xxxxxxx
Industry, Kind = Committee.Industry, Activity.Kind

COMMITTEES = [
    ("朝阳区快递行业党委", Industry.EXPRESS),
    ("朝阳区邮政快递业党委", Industry.EXPRESS),
    ("朝阳区同城即时配送行业党委", Industry.EXPRESS),
    ("朝阳区外卖配送行业党委", Industry.FOOD_DELIVERY),
    ("朝阳区网约配送员党委", Industry.FOOD_DELIVERY),
    ("朝阳区餐饮外卖平台党委", Industry.FOOD_DELIVERY),
    ("朝阳区网约车行业党委", Industry.RIDE_HAILING),
    ("朝阳区出租汽车行业党委", Industry.RIDE_HAILING),
    ("朝阳区代驾行业党委", Industry.RIDE_HAILING),
    ("朝阳区道路货运行业党委", Industry.FREIGHT),
    ("朝阳区城市配送物流党委", Industry.FREIGHT),
    ("朝阳区家政服务行业党委", Industry.HOUSEKEEPING),
    ("朝阳区物业服务行业党委", Industry.HOUSEKEEPING),
    ("朝阳区电子商务行业党委", Industry.E_COMMERCE),
    ("朝阳区网络直播行业党委", Industry.E_COMMERCE),
    ("朝阳区互联网平台企业党委", Industry.OTHER),
    ("朝阳区商务楼宇新业态党委", Industry.OTHER),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅志鹏飞宇浩然子轩"
CHILD_GIVEN = ["小宝", "乐乐", "朵朵", "豆豆", "天天", "果果", "欢欢", "悦悦"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def _seed_places() -> dict[str, dict[str, Any]]:
    return {row["street_code"]: row for row in csv.DictReader(DATA.open(encoding="utf-8"))}


def _near(point: Point, rng: random.Random, spread: float = 0.006) -> Point:
    return Point(point.x + rng.uniform(-spread, spread), point.y + rng.uniform(-spread, spread), srid=4326)


def load(*, stdout: Any, small: bool) -> None:
    rng = random.Random(20260706)
    with transaction.atomic():
        streets = {s.code: s for s in Street.objects.all()}
        committees = _committees()
        branches = _branches(streets, committees, rng, small)
        riders = _riders(streets, rng, 16 if small else 160)
        _memberships(branches, riders, rng)
        teams = _teams(streets, branches, riders)
        created = _activities(streets, branches, riders, teams, rng, small)
    stdout.write(
        f"partybranch: {len(committees)} committees, {len(branches)} branches, "
        f"{Membership.objects.count()} members, {created} new activities"
    )


def _committees() -> list[Committee]:
    existing = set(Committee.objects.values_list("name", flat=True))
    Committee.objects.bulk_create(Committee(name=n, industry=i) for n, i in COMMITTEES if n not in existing)
    return list(Committee.objects.filter(name__in=[n for n, _i in COMMITTEES]).order_by("id"))


def _branches(streets: dict, committees: list[Committee], rng: random.Random, small: bool) -> list[Branch]:
    seeds = _seed_places()
    by_industry = {c.industry: c for c in committees}
    specs = [
        ("团结湖街道骑手党支部", by_industry[Industry.FOOD_DELIVERY], "TJH", "团结湖街道红驿课堂"),
        ("奥运村街道新就业群体党支部", by_industry[Industry.EXPRESS], "AYC", "奥运村街道家庭团圆房"),
    ]
    codes = [c for c in streets if c not in {"TJH", "AYC"}]
    for i in range(4 if small else 48):
        code = codes[i % len(codes)]
        committee = committees[i % len(committees)]
        industry = committee.get_industry_display()
        specs.append(
            (f"{streets[code].name}{industry}新就业群体党支部", committee, code, f"{streets[code].name}红驿驿站")
        )
    existing = set(Branch.objects.values_list("name", flat=True))
    new = []
    for name, committee, code, place in specs:
        if name in existing:
            continue
        seed = seeds.get(code)
        point = (
            Point(float(seed["lng"]), float(seed["lat"]), srid=4326)
            if seed and place == seed["name"]
            else _near(streets[code].centre, rng)
        )
        new.append(Branch(name=name, committee=committee, street=streets[code], meeting_place=place, point=point))
    Branch.objects.bulk_create(new)
    return list(Branch.objects.filter(name__in=[s[0] for s in specs]).select_related("street").order_by("id"))


def _riders(streets: dict, rng: random.Random, count: int) -> list[User]:
    phones = [str(RIDER_PHONE_BASE + i) for i in range(count)]
    existing = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    occupations = [o for o in RiderProfile.Occupation.values if o != "other"]
    platforms = {
        "courier": ["顺丰", "京东", "中通", "美团闪送"],
        "food_delivery": ["美团", "饿了么"],
        "ride_hailing": ["滴滴", "曹操出行"],
    }
    new_users = [
        User(phone=p, name=("张代雷" if p == phones[0] else _name(rng)), role=Role.RIDER, password=make_password(None))
        for p in phones
        if p not in existing
    ]
    User.objects.bulk_create(new_users)
    codes = list(streets)
    profiles = []
    for user in new_users:
        occupation = "food_delivery" if user.phone == phones[0] else rng.choice(occupations)
        code = "TJH" if user.phone == phones[0] else rng.choice(codes)
        profiles.append(
            RiderProfile(
                user=user, occupation=occupation, platform=rng.choice(platforms[occupation]), work_street=streets[code]
            )
        )
    RiderProfile.objects.bulk_create(profiles)
    demo_riders = list(User.objects.filter(phone__in=["13900000001", "13900000002", "13900000003"]).order_by("phone"))
    return demo_riders + list(User.objects.filter(phone__in=phones).order_by("phone"))


def _memberships(branches: list[Branch], riders: list[User], rng: random.Random) -> None:
    """About 40% of the demo riders are party members; the first member of each branch is its secretary."""
    taken = set(Membership.objects.active().values_list("user_id", flat=True))
    new = []
    secretaries: dict[int, int] = {}
    today = timezone.localdate()
    for i, rider in enumerate(riders):
        if rider.pk in taken or (i % 5 not in (0, 2) and rider.phone != str(RIDER_PHONE_BASE)):
            continue
        branch = branches[0] if rider.phone == str(RIDER_PHONE_BASE) else branches[i % len(branches)]
        role = Membership.Role.SECRETARY if branch.pk not in secretaries else Membership.Role.MEMBER
        if role == Membership.Role.SECRETARY:
            secretaries[branch.pk] = rider.pk
        joined = today - timedelta(days=rng.randint(200, 4000))
        new.append(Membership(user=rider, branch=branch, role=role, joined_on=joined))
    Membership.objects.bulk_create(new)
    for branch_id, user_id in secretaries.items():
        Branch.objects.filter(pk=branch_id, secretary__isnull=True).update(secretary_id=user_id)


def _teams(streets: dict, branches: list[Branch], riders: list[User]) -> dict[str, VolunteerTeam]:
    leader = next((r for r in riders if r.phone == str(RIDER_PHONE_BASE)), None)
    specs = [
        ("团结湖街道骑手团", "TJH", branches[0], leader, "“走千条路、进万家门”：承接团结湖老年食堂的义务送餐。"),
        ("奥运村街道小哥志愿服务队", "AYC", branches[1], None, "社区巡查、助老、文明引导。"),
    ]
    for name, code, branch, lead, description in specs:
        VolunteerTeam.objects.get_or_create(
            name=name, defaults={"street": streets[code], "branch": branch, "leader": lead, "description": description}
        )
    return {
        t.street.code: t for t in VolunteerTeam.objects.filter(name__in=[s[0] for s in specs]).select_related("street")
    }


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    base = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return base + timedelta(days=day, hours=hour, minutes=minute)


def _named_activities(streets: dict, branches: list[Branch]) -> list[dict[str, Any]]:
    tjh, ayc = branches[0], branches[1]
    seeds = _seed_places()
    tjh_point = Point(float(seeds["TJH"]["lng"]), float(seeds["TJH"]["lat"]), srid=4326)
    ayc_point = Point(float(seeds["AYC"]["lng"]), float(seeds["AYC"]["lat"]), srid=4326)
    return [
        {
            "title": "红驿课堂：骑手安全与法律权益",
            "kind": Kind.CLASS,
            "branch": tjh,
            "street": streets["TJH"],
            "place": "团结湖街道红驿课堂",
            "point": tjh_point,
            "capacity": 40,
            "audience": Activity.Audience.RIDERS,
            "sessions": [(d, 19, 21) for d in (-13, -6, 1, 8, 15)],
            "description": "骑手党员学习阵地：交通安全、劳动权益、党课学习。每周一次。",
        },
        {
            "title": "骑手团为团结湖老年食堂送餐",
            "kind": Kind.VOLUNTEER,
            "branch": tjh,
            "street": streets["TJH"],
            "place": "团结湖老年食堂",
            "point": _near(tjh_point, random.Random(1), 0.003),
            "capacity": 8,
            "audience": Activity.Audience.RIDERS,
            "sessions": [(d, 11, 13) for d in range(-14, 16, 2)],
            "description": "团结湖街道“骑手团”发挥走千条路、进万家门的职业优势，为老年食堂义务送餐。",
        },
        {
            "title": "“乐游北京”家庭日·奥林匹克公园",
            "kind": Kind.FAMILY_DAY,
            "branch": ayc,
            "street": streets["AYC"],
            "place": "奥林匹克森林公园南门",
            "point": _near(ayc_point, random.Random(2), 0.004),
            "capacity": 30,
            "family": (3, 14),
            "sessions": [(-7, 9, 15)],
            "description": "新就业群体家庭日：亲子定向、家庭合影、野餐。欢迎带上家人。",
        },
        {
            "title": "“乐游北京”家庭日·鸟巢水立方",
            "kind": Kind.FAMILY_DAY,
            "branch": ayc,
            "street": streets["AYC"],
            "place": "国家体育场（鸟巢）北侧集合",
            "point": _near(ayc_point, random.Random(3), 0.004),
            "capacity": 12,
            "family": (3, 14),
            "sessions": [(6, 9, 15)],
            "description": "参观鸟巢、水立方，亲子运动会。名额有限，满员后进入候补。",
        },
        {
            "title": "我带家人游北京：故宫一日游",
            "kind": Kind.FAMILY_TRIP,
            "branch": ayc,
            "street": streets["AYC"],
            "place": "奥运村街道家庭团圆房集合",
            "point": ayc_point,
            "capacity": 20,
            "family": (0, 17),
            "sessions": [(10, 8, 17)],
            "description": "街道包车，带来京探亲的家人游览故宫、景山。",
        },
        {
            "title": "子女暑期托管班（第一期）",
            "kind": Kind.CARE_CLASS,
            "branch": None,
            "street": streets["AYC"],
            "place": "奥运村街道社区服务中心",
            "point": _near(ayc_point, random.Random(4), 0.003),
            "capacity": 15,
            "family": (6, 12),
            "sessions": [(d, 9, 16) for d in range(2, 7)],
            "description": "寒暑假托管：作业辅导、阅读、手工、体育。每天一场，共五天。",
        },
        {
            "title": "新就业群体“五一”联谊会",
            "kind": Kind.OTHER,
            "branch": None,
            "street": streets["TJH"],
            "place": "团结湖公园",
            "point": _near(tjh_point, random.Random(5), 0.004),
            "capacity": 60,
            "family": (0, 17),
            "audience": Activity.Audience.EVERYONE,
            "sessions": [(4, 14, 17)],
            "description": "游园、才艺展示、骑手之星表彰。",
        },
    ]


def _generated_activities(streets: dict, branches: list[Branch], rng: random.Random) -> list[dict[str, Any]]:
    kinds = [
        (Kind.CLASS, "红驿课堂：{topic}", ["电动车安全", "急救技能", "劳动合同", "个税与社保", "党史学习"]),
        (Kind.FAMILY_DAY, "家庭日：{topic}", ["亲子运动会", "科技馆一日", "温榆河公园野餐"]),
        (Kind.FAMILY_TRIP, "我带家人游北京：{topic}", ["长城", "颐和园", "天坛", "国家博物馆"]),
        (Kind.CARE_CLASS, "子女托管班：{topic}", ["书法", "编程启蒙", "游泳"]),
        (Kind.VOLUNTEER, "志愿服务：{topic}", ["社区巡查", "助老送餐", "文明交通引导"]),
    ]
    specs = []
    for i, branch in enumerate(branches[2:]):
        kind, pattern, topics = kinds[i % len(kinds)]
        day = rng.randint(-14, 15)
        family = kind in (Kind.FAMILY_DAY, Kind.FAMILY_TRIP, Kind.CARE_CLASS)
        sessions = [(day + k, 9, 12) for k in range(3)] if kind == Kind.CARE_CLASS else [(day, 14, 17)]
        specs.append(
            {
                "title": f"{branch.street.name}·" + pattern.format(topic=rng.choice(topics)),
                "kind": kind,
                "branch": branch,
                "street": branch.street,
                "place": branch.meeting_place,
                "point": branch.point,
                "capacity": rng.choice([10, 15, 20, 30]),
                "family": (3, 14) if family else None,
                "audience": Activity.Audience.PARTY_MEMBERS if kind == Kind.CLASS and i % 3 == 0 else None,
                "sessions": sessions,
                "description": "",
            }
        )
    return specs


def _activities(
    streets: dict, branches: list[Branch], riders: list[User], teams: dict, rng: random.Random, small: bool
) -> int:
    specs = _named_activities(streets, branches)
    if not small:
        specs += _generated_activities(streets, branches, rng)
    if Activity.objects.filter(title=specs[0]["title"]).exists():
        return 0
    activities = Activity.objects.bulk_create(
        Activity(
            title=s["title"],
            kind=s["kind"],
            organiser_branch=s["branch"],
            street=s["street"],
            place=s["place"],
            point=s["point"],
            capacity=s["capacity"],
            family_allowed=bool(s.get("family")),
            child_min_age=s["family"][0] if s.get("family") else None,
            child_max_age=s["family"][1] if s.get("family") else None,
            audience=s.get("audience") or Activity.Audience.RIDERS,
            status=Activity.Status.PUBLISHED,
            description=s["description"],
            signup_deadline=_deadline(s["sessions"]),
        )
        for s in specs
    )
    sessions = Session.objects.bulk_create(
        Session(activity=a, start=_at(d, h), end=_at(d, e))
        for a, s in zip(activities, specs, strict=True)
        for d, h, e in s["sessions"]
    )
    sessions_of: dict[int, list[Session]] = {}
    for session in sessions:
        sessions_of.setdefault(session.activity_id, []).append(session)
    _registrations(activities, sessions_of, riders, teams, rng)
    return len(activities)


def _deadline(sessions: list[tuple[int, int, int]]) -> datetime | None:
    """Sign-up closes 12 hours before a one-off activity; a series already under way (a weekly
    红驿课堂, the 骑手团's rounds) stays open for its later meetings."""
    first = min(d for d, _h, _e in sessions)
    if len(sessions) > 1 and first < 0:
        return None
    return _at(first, 0) - timedelta(hours=12)


def _registrations(
    activities: list[Activity], sessions_of: dict, riders: list[User], teams: dict, rng: random.Random
) -> None:
    members = set(Membership.objects.active().values_list("user_id", flat=True))
    now = timezone.now()
    regs: list[Registration] = []
    families: list[list[tuple[str, str, int | None]]] = []
    for activity in activities:
        eligible = [r for r in riders if activity.audience != Activity.Audience.PARTY_MEMBERS or r.pk in members]
        rng.shuffle(eligible)
        if activity.title.startswith("骑手团"):
            eligible.sort(key=lambda r: r.phone != "13960000000")  # 张代雷 leads the team
        wanted = int(activity.capacity * rng.uniform(0.7, 1.4))
        confirmed = 0
        for rider in eligible[: max(wanted // 2, 3)]:
            people = [(rider.name, "self", rng.randint(22, 50))]
            if activity.family_allowed:
                low, high = activity.child_min_age or 0, activity.child_max_age or 17
                for _k in range(rng.choice([0, 1, 1, 2])):
                    people.append((rider.name[0] + rng.choice(CHILD_GIVEN), "child", rng.randint(low, high)))
                if rng.random() < 0.3:
                    people.append((_name(rng), "spouse", rng.randint(22, 50)))
            fits = confirmed + len(people) <= activity.capacity
            confirmed += len(people) if fits else 0
            created = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
            regs.append(
                Registration(
                    activity=activity,
                    rider=rider,
                    people=len(people),
                    status=Registration.Status.CONFIRMED if fits else Registration.Status.WAITLISTED,
                    confirmed_at=created if fits else None,
                )
            )
            families.append(people)
        Activity.objects.filter(pk=activity.pk).update(confirmed_people=confirmed)
    regs = Registration.objects.bulk_create(regs)
    persons = RegistrationPerson.objects.bulk_create(
        RegistrationPerson(registration=r, name=n, relationship=rel, age=age)
        for r, people in zip(regs, families, strict=True)
        for n, rel, age in people
    )
    persons_of: dict[int, list[RegistrationPerson]] = {}
    for person in persons:
        persons_of.setdefault(person.registration_id, []).append(person)
    by_activity = {a.pk: a for a in activities}
    attendances: list[Attendance] = []
    for reg in regs:
        if reg.status != Registration.Status.CONFIRMED:
            continue
        for session in sessions_of[reg.activity_id]:
            if session.end > now or rng.random() < 0.15:
                continue
            at = session.start + timedelta(minutes=rng.randint(-10, 15))
            volunteer = by_activity[reg.activity_id].kind == Kind.VOLUNTEER
            for person in persons_of[reg.pk]:
                out = session.end + timedelta(minutes=rng.randint(-20, 10)) if volunteer else None
                attendances.append(Attendance(session=session, person=person, at=at, checked_out_at=out))
    attendances = Attendance.objects.bulk_create(attendances)
    _hours(attendances, by_activity, persons_of, regs, riders, teams, rng, now)


def _hours(attendances, by_activity, persons_of, regs, riders, teams, rng, now) -> None:  # type: ignore[no-untyped-def]
    rider_of = {p.pk: r.rider_id for r in regs for p in persons_of[r.pk]}
    sessions = {s.pk: s for s in Session.objects.filter(pk__in={a.session_id for a in attendances})}
    hours = []
    for attendance in attendances:
        session = sessions[attendance.session_id]
        activity = by_activity[session.activity_id]
        if activity.kind != Kind.VOLUNTEER or attendance.checked_out_at is None:
            continue
        span = Decimal((attendance.checked_out_at - attendance.at).total_seconds() / 3600).quantize(Decimal("0.01"))
        hours.append(
            VolunteerHours(
                person_id=rider_of[attendance.person_id],
                street_id=activity.street_id,
                activity=activity,
                attendance=attendance,
                start=attendance.at,
                end=attendance.checked_out_at,
                hours=span,
                source=VolunteerHours.Source.SCAN,
                status=VolunteerHours.Status.APPROVED,
            )
        )
    team = teams["TJH"]
    leader = next(r for r in riders if r.phone == "13960000000")
    # Years of meal runs for the team leader (a milestone to show), entered by staff from the paper book.
    for week in range(1, 80):
        start = now - timedelta(days=7 * week + 30)
        hours.append(
            VolunteerHours(
                person=leader,
                street_id=team.street_id,
                team=team,
                start=start,
                end=start + timedelta(hours=4),
                hours=Decimal("4.00"),
                source=VolunteerHours.Source.STAFF,
                status=VolunteerHours.Status.APPROVED,
            )
        )
    # Self-declared hours waiting in the street's approval queue.
    for i, rider in enumerate(riders[:12]):
        start = now - timedelta(days=i + 1, hours=5)
        length = rng.choice([1, 2, 3])
        hours.append(
            VolunteerHours(
                person=rider,
                street_id=team.street_id if i % 2 else teams["AYC"].street_id,
                team=team if i % 2 else teams["AYC"],
                start=start,
                end=start + timedelta(hours=length),
                hours=Decimal(length),
                source=VolunteerHours.Source.SELF_DECLARED,
                status=VolunteerHours.Status.PENDING,
                note="社区巡查" if i % 2 else "助老送餐",
            )
        )
    VolunteerHours.objects.bulk_create(hours)
