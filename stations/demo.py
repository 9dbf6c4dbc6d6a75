"""Demo data: the article's named places (data/seed_places.csv) and ~4,000 generated stations spread over
the 43 streets (791 open around the clock), with amenities, hours, ports near the district's totals
(23,600 battery-swap and 254,900 charging ports) and three days of QR visits.

Idempotent: stations have fixed codes (SEEDnn, Dnnnn) and only missing ones are created; visits are
added only when the demo stations have none. Deterministic (seeded random).
"""

import csv
import math
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from accounts.models import RiderProfile, Role, User
from jurisdictions.models import Street

from .models import Amenity, Station, Visit

DATA = Path(__file__).resolve().parent / "data" / "seed_places.csv"
FULL_STATIONS = 4000
FULL_ALL_HOURS = 791
SMALL_STATIONS = 50
SMALL_ALL_HOURS = 10
TOTAL_CHARGING_PORTS = 254_900
TOTAL_SWAP_PORTS = 23_600
VISIT_DAYS = 3
EXTRA_RIDERS = 40
CBD = (116.4600, 39.9100)

KEYWORDS = {
    "充电": "charging",
    "换电": "battery_swap",
    "冰箱": "fridge",
    "微波炉": "microwave",
    "饮用水": "drinking_water",
    "热水": "hot_water",
    "空调": "air_conditioning",
    "应急": "first_aid",
    "雨衣": "rain_gear",
    "停车": "rider_parking",
    "安全教育": "safety_education",
}
HOURS = [
    ("Mo-Su 08:00-22:00", 30),
    ("Mo-Su 07:00-23:00", 20),
    ("Mo-Fr 09:00-21:00; Sa,Su 10:00-20:00", 15),
    ("Mo-Su 10:00-22:00", 15),
    ("Mo-Su 06:00-24:00", 10),
    ("Mo-Su 11:00-14:00,17:00-22:00", 5),
    ("", 5),  # hours unknown
]
KINDS = [
    (Station.Kind.STATION, 45),
    (Station.Kind.REFUEL, 12),
    (Station.Kind.BUSINESS_DISTRICT, 6),
    (Station.Kind.FIRE_ENERGY, 4),
    (Station.Kind.MERCHANT, 18),
    (Station.Kind.PARKING, 7),
    (Station.Kind.BATTERY_SWAP, 8),
]
NAME_PARTS = {
    Station.Kind.STATION: "暖心驿站",
    Station.Kind.ALL_HOURS: "全时驿站",
    Station.Kind.REFUEL: "小哥加油站",
    Station.Kind.BUSINESS_DISTRICT: "骑手商圈驿站",
    Station.Kind.FIRE_ENERGY: "消防能量站",
    Station.Kind.MERCHANT: "友好商户",
    Station.Kind.PARKING: "骑手停车点",
    Station.Kind.BATTERY_SWAP: "换电点",
}
HOSTS = ["社区居委会", "物业服务中心", "商场运营方", "快递网点", "便利店", "银行网点", "加油站", "消防站", "社区服务站"]


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _seed_kind(row: dict[str, str]) -> str:
    name = row["name"]
    if row["kind"] == "merchant":
        return Station.Kind.MERCHANT
    for label, kind in (
        ("小哥加油站", Station.Kind.REFUEL),
        ("商圈驿站", Station.Kind.BUSINESS_DISTRICT),
        ("消防能量站", Station.Kind.FIRE_ENERGY),
    ):
        if label in name:
            return kind
    return Station.Kind.STATION


def _seed_rows(streets: dict[str, Street], amenities: dict[str, Amenity]) -> list[tuple[Station, list[str]]]:
    with DATA.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] in ("station", "merchant")]
    out = []
    for i, row in enumerate(rows, start=1):
        codes = sorted({code for word, code in KEYWORDS.items() if word in row["note"]} & set(amenities))
        station = Station(
            code=f"SEED{i:02d}",
            name=row["name"],
            kind=_seed_kind(row),
            street=streets[row["street_code"]],
            point=Point(float(row["lng"]), float(row["lat"]), srid=4326),
            opening_hours="24/7" if row["kind"] == "station" else "Mo-Su 10:00-22:00",
            notes=row["note"],
            charging_ports=12 if "charging" in codes else 0,
            parking_spots=10 if "rider_parking" in codes else 0,
            last_verified_at=timezone.now(),
        )
        out.append((station, codes))
    return out


def _street_weights(streets: list[Street]) -> list[float]:
    """Area (km², roughly) times a density that falls off with distance from the CBD."""
    weights = []
    for street in streets:
        c = street.centre
        area = street.boundary.area * 111.0 * 111.0 * math.cos(math.radians(c.y))
        dist_km = math.hypot((c.x - CBD[0]) * 85.0, (c.y - CBD[1]) * 111.0)
        weights.append(area * (1.0 + 3.0 * math.exp(-dist_km / 6.0)))
    return weights


def _random_point(rng: random.Random, street: Street) -> Point:
    prepared = street.boundary.prepared
    x1, y1, x2, y2 = street.boundary.extent
    for _attempt in range(1000):
        p = Point(rng.uniform(x1, x2), rng.uniform(y1, y2), srid=4326)
        if prepared.contains(p):
            return p
    return street.centre


def _spread(rng: random.Random, total: int, count: int) -> list[int]:
    """`count` positive integers summing to `total` (lognormal shares)."""
    if count == 0:
        return []
    raw = [rng.lognormvariate(0, 0.6) for _i in range(count)]
    scale = total / sum(raw)
    values = [max(1, int(v * scale)) for v in raw]
    values[-1] += total - sum(values)
    if values[-1] < 1:  # rounding pushed the last one down: take from the largest instead
        biggest = values.index(max(values))
        values[biggest] += values[-1] - 1
        values[-1] = 1
    return values


def _generated(
    rng: random.Random, streets: list[Street], count: int, all_hours: int, scale: float
) -> list[tuple[Station, list[str]]]:
    weights = _street_weights(streets)
    out = []
    now = timezone.now()
    all_hours_ids = set(rng.sample(range(count), all_hours))
    for i in range(count):
        street = rng.choices(streets, weights=weights)[0]
        kind = Station.Kind.ALL_HOURS if i in all_hours_ids else _weighted(rng, KINDS)
        hours = "24/7" if kind == Station.Kind.ALL_HOURS else _weighted(rng, HOURS)
        codes = {"seating", "drinking_water"}
        if kind in (Station.Kind.BATTERY_SWAP,) or rng.random() < 0.25:
            codes.add("battery_swap")
        if (kind != Station.Kind.MERCHANT or rng.random() < 0.4) and rng.random() < 0.85:
            codes.add("charging")
        for code, p in (
            ("hot_water", 0.7),
            ("microwave", 0.5),
            ("fridge", 0.3),
            ("air_conditioning", 0.6),
            ("toilet", 0.5),
            ("first_aid", 0.4),
            ("rain_gear", 0.3),
            ("rider_parking", 0.35),
            ("safety_education", 0.15),
            ("wifi", 0.4),
            ("phone_charging", 0.6),
        ):
            if rng.random() < p:
                codes.add(code)
        if kind == Station.Kind.PARKING:
            codes.add("rider_parking")
        verified_days = rng.randint(0, 200)
        station = Station(
            code=f"D{i + 1:04d}",
            name=f"{street.name.removesuffix('街道').removesuffix('地区')}{NAME_PARTS[kind]}{i + 1:04d}",
            kind=kind,
            street=street,
            point=_random_point(rng, street),
            opening_hours=hours,
            host_org=rng.choice(HOSTS),
            parking_spots=rng.randint(4, 30) if "rider_parking" in codes else 0,
            last_verified_at=now - timedelta(days=verified_days) if verified_days < 180 else None,
        )
        out.append((station, sorted(codes)))
    charging = [s for s, c in out if "charging" in c]
    swapping = [s for s, c in out if "battery_swap" in c]
    for station, ports in zip(charging, _spread(rng, int(TOTAL_CHARGING_PORTS * scale), len(charging)), strict=True):
        station.charging_ports = ports
    for station, ports in zip(swapping, _spread(rng, int(TOTAL_SWAP_PORTS * scale), len(swapping)), strict=True):
        station.swap_ports = ports
    return out


def _riders(count: int) -> list[User]:
    riders = list(User.objects.filter(role=Role.RIDER, phone__startswith="139000000"))
    for i in range(count):
        user, created = User.objects.get_or_create(
            phone=f"1397000{i:04d}", defaults={"role": Role.RIDER, "name": f"演示骑手{i:02d}", "password": "!"}
        )
        if created:
            RiderProfile.objects.create(user=user, occupation=("food_delivery", "courier", "ride_hailing")[i % 3])
        riders.append(user)
    return riders


@transaction.atomic
def load(*, stdout: Any, small: bool) -> None:
    rng = random.Random(20261128)
    streets_list = list(Street.objects.order_by("code"))
    if not streets_list:
        stdout.write("stations: no streets, skipped")
        return
    streets = {s.code: s for s in streets_list}
    amenities = {a.code: a for a in Amenity.objects.all()}
    count, all_hours = (SMALL_STATIONS, SMALL_ALL_HOURS) if small else (FULL_STATIONS, FULL_ALL_HOURS)
    planned = _seed_rows(streets, amenities) + _generated(rng, streets_list, count, all_hours, count / FULL_STATIONS)
    existing = set(Station.objects.filter(code__in=[s.code for s, _c in planned]).values_list("code", flat=True))
    todo = [(s, c) for s, c in planned if s.code not in existing]
    created = Station.objects.bulk_create([s for s, _c in todo], batch_size=1000)
    through = Station.amenities.through
    through.objects.bulk_create(
        [
            through(station_id=station.pk, amenity_id=amenities[code].pk)
            for station, (_s, codes) in zip(created, todo, strict=True)
            for code in codes
            if code in amenities
        ],
        batch_size=5000,
    )
    stdout.write(f"stations: {len(created)} created, {len(existing)} already there")
    _visits(rng, small=small)


def _visits(rng: random.Random, *, small: bool) -> None:
    demo = Station.objects.filter(status=Station.Status.ACTIVE, code__regex=r"^(SEED|D)[0-9]+$")
    if Visit.objects.filter(station__in=demo).exists():
        return
    station_ids = list(demo.values_list("pk", flat=True))
    riders = _riders(5 if small else EXTRA_RIDERS)
    if not station_ids or not riders:
        return
    per_day = 40 if small else 2000
    now = timezone.now()
    visits = []
    for day in range(VISIT_DAYS):
        for _i in range(per_day):
            # Lunch and dinner peaks (Beijing time); the stored value is aware UTC.
            hour = _weighted(rng, [(h, 3 if h in (11, 12, 17, 18, 19) else 1) for h in range(24)])
            when = (now - timedelta(days=day + 1)).replace(hour=0, minute=0, second=0, microsecond=0)
            when = when + timedelta(hours=hour - 8, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            visits.append(Visit(station_id=rng.choice(station_ids), rider=rng.choice(riders), created_at=when))
    Visit.objects.bulk_create(visits, batch_size=5000)
