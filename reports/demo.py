"""Demo data for 随手拍: categories, one team per street (东湖街道应急队 from the article) plus the district
fallback team, and a few hundred reports across statuses with realistic timelines. Idempotent."""

import os
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from accounts.models import RiderProfile, Role, User
from accounts.services import api_token_create
from jurisdictions.models import Street

from .models import Report, ReportEvent, ResponseTeam
from .services import categories_ensure

DESCRIPTIONS = {
    "traffic_light": ["路口信号灯全灭", "红灯一直不亮", "行人灯坏了"],
    "road_damage": ["路面塌陷一个坑", "非机动车道破损严重", "井盖周边下沉"],
    "manhole": ["井盖丢了，很危险", "井盖破裂", "雨水篦子缺失"],
    "waterlogging": ["下雨后积水没过脚踝", "地库入口积水", "桥下积水"],
    "obstacle": ["有人在路上堆放建筑垃圾", "倒伏的树枝挡路", "共享单车堆在车道上"],
    "fire_hazard": ["楼道里有电动车充电", "消防通道被占用", "飞线充电"],
    "facility": ["驿站饮水机坏了", "路灯不亮", "护栏断了"],
    "other": ["小区门口道闸不开", "充电桩无法使用", ""],
}


def _teams(stdout: Any) -> dict[int, ResponseTeam]:
    teams = {}
    webhook = os.environ.get("REPORTS_DEMO_WEBHOOK_URL", "")
    for i, street in enumerate(Street.objects.order_by("code")):
        team, _created = ResponseTeam.objects.get_or_create(
            name=f"{street.name}应急队",
            defaults={
                "street": street,
                "sms_phone": f"1370000{i:04d}",
                "webhook_url": webhook if street.code == "DH" else "",
                "webhook_secret": os.environ.get("REPORTS_DEMO_WEBHOOK_SECRET", "demo-secret-dh")
                if street.code == "DH"
                else "",
            },
        )
        teams[street.pk] = team
    ResponseTeam.objects.get_or_create(
        name="区应急指挥中心", defaults={"is_district_fallback": True, "sms_phone": "13700009999"}
    )
    dh = Street.objects.filter(code="DH").first()
    if dh is not None:
        member, created = User.objects.get_or_create(
            name="东湖街道应急队", role=Role.TEAM_MEMBER, phone=None, defaults={"street": dh, "password": "!"}
        )
        teams[dh.pk].members.add(member)
        token_file = Path(settings.VAR_DIR) / "dh_team.token"
        if created or not token_file.exists():
            _token, secret = api_token_create(user=member, name="demo-dh-team")
            token_file.parent.mkdir(parents=True, exist_ok=True)
            token_file.write_text(secret)
            token_file.chmod(0o600)
            stdout.write(f"东湖街道应急队 token written to {token_file}")
    return teams


def _riders(n: int) -> list[User]:
    riders = list(User.objects.filter(role=Role.RIDER, phone__startswith="139000000"))
    wanted = [f"1391000{i:04d}" for i in range(n)]
    existing = set(User.objects.filter(phone__in=wanted).values_list("phone", flat=True))
    # "!" is Django's unusable-password marker: riders sign in by SMS code only.
    unusable = "!"
    new = [User(phone=p, role=Role.RIDER, name=f"骑手{p[-4:]}", password=unusable) for p in wanted if p not in existing]
    User.objects.bulk_create(new)
    extra = list(User.objects.filter(phone__in=wanted))
    RiderProfile.objects.bulk_create(
        [RiderProfile(user=u) for u in extra if not RiderProfile.objects.filter(user=u).exists()]
    )
    return riders + extra


def _point_in(street: Street, rng: random.Random) -> Point:
    for _attempt in range(5):
        p = Point(street.centre.x + rng.uniform(-0.006, 0.006), street.centre.y + rng.uniform(-0.005, 0.005), srid=4326)
        if street.boundary.contains(p):
            return p
    return street.centre


# status → the steps its timeline went through (minutes after submission)
FLOWS = {
    "submitted": [],
    "routed": [("routed", 0.3)],
    "delivered": [("routed", 0.3), ("delivered", 0.4)],
    "acknowledged": [("routed", 0.3), ("delivered", 0.4), ("acknowledged", 2)],
    "on_site": [("routed", 0.3), ("delivered", 0.4), ("acknowledged", 2), ("on_site", 8)],
    "resolved": [("routed", 0.3), ("delivered", 0.4), ("acknowledged", 2), ("on_site", 8), ("resolved", 45)],
    "rejected": [("routed", 0.3), ("delivered", 0.4), ("rejected", 20)],
}
WEIGHTS = {"resolved": 55, "on_site": 8, "acknowledged": 8, "delivered": 6, "routed": 3, "submitted": 2, "rejected": 8}


@transaction.atomic
def load(*, stdout: Any, small: bool) -> None:
    categories = categories_ensure()
    teams = _teams(stdout)
    if Report.objects.exists():
        stdout.write("reports: demo reports already there")
        return
    rng = random.Random(4)
    riders = _riders(3 if small else 40)
    streets = list(Street.objects.all())
    dh = next((s for s in streets if s.code == "DH"), streets[0])
    count = 6 if small else 320
    now = timezone.now()
    plans = []
    for i in range(count):
        street = dh if i % 5 == 0 else rng.choice(streets)
        category = rng.choice(categories)
        status = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        created = now - timedelta(minutes=rng.randint(30, 60 * 24 * 30))
        if status in {"submitted", "routed"}:
            created = now - timedelta(seconds=rng.randint(5, 50))  # in flight right now
        plans.append((street, category, status, created))

    reports = [
        Report(
            reporter=rng.choice(riders),
            category=category,
            description=rng.choice(DESCRIPTIONS.get(category.code, [""])),
            point=_point_in(street, rng),
            street=street,
            status=status,
        )
        for street, category, status, created in plans
    ]
    Report.objects.bulk_create(reports)
    events = []
    speed = {dh.pk: 0.6}  # 东湖's team is on site in well under 10 minutes
    for report, (street, category, status, created) in zip(reports, plans, strict=True):
        report.created_at = report.updated_at = created
        events.append(ReportEvent(report=report, kind="submitted", actor=report.reporter, at=created))
        factor = speed.get(street.pk, rng.uniform(0.7, 2.5))
        last = created
        for kind, minutes in FLOWS[status]:
            at = created + timedelta(minutes=minutes * (factor if kind not in {"routed", "delivered"} else 1))
            last = at
            events.append(
                ReportEvent(report=report, kind=kind, at=at, note="非公共区域，已转物业" if kind == "rejected" else "")
            )
            if kind == "routed":
                report.team = teams[street.pk]
                report.routed_at = at
                report.arrival_due_at = created + timedelta(minutes=category.arrival_sla_minutes)
                report.resolve_due_at = created + timedelta(minutes=category.resolution_sla_minutes)
            elif kind == "delivered":
                report.delivered_at = at
            elif kind == "acknowledged":
                report.acknowledged_at = at
            elif kind == "on_site":
                report.on_site_at = at
            else:
                report.closed_at = at
                report.status_note = "非公共区域，已转物业" if kind == "rejected" else ""
        if report.is_overdue(now):
            report.escalated_at = now
            events.append(
                ReportEvent(report=report, kind="escalated", at=now, note="超过到场时限", data={"sla": "arrival"})
            )
        report.updated_at = last
    Report.objects.bulk_update(
        reports,
        [
            "created_at",
            "updated_at",
            "team",
            "routed_at",
            "delivered_at",
            "acknowledged_at",
            "on_site_at",
            "closed_at",
            "arrival_due_at",
            "resolve_due_at",
            "escalated_at",
            "status_note",
        ],
        batch_size=200,
    )
    ReportEvent.objects.bulk_create(events, batch_size=500)
    stdout.write(f"reports: {len(reports)} reports, {len(events)} events, {len(teams) + 1} teams")
