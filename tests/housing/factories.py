import datetime

import factory
from django.contrib.gis.geos import Point
from django.utils import timezone

from accounts.models import RiderProfile, Role, User
from housing.models import Bed, EligibilityRule, HouseholdKind, Project, Room, RoomType
from jurisdictions.models import Street


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"测试公寓{n}")
    street = factory.LazyFunction(lambda: Street.objects.get(code="SJ"))
    point = factory.LazyFunction(lambda: Point(116.4690, 39.8965, srid=4326))
    address = "双井测试路1号"
    operator = "测试运营方"
    amenities = factory.LazyFunction(lambda: ["canteen", "shuttle"])
    status = Project.Status.OPEN


class RoomTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomType

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"六人间{n}")
    kind = RoomType.Kind.DORM_BED
    beds_per_room = 6
    rent_mode = RoomType.RentMode.PER_BED
    rent = 800
    deposit = 500
    household = HouseholdKind.SINGLE


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    room_type = factory.SubFactory(RoomTypeFactory)
    number = factory.Sequence(lambda n: f"{100 + n}")
    floor = 1


class BedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bed

    room = factory.SubFactory(RoomFactory)
    label = factory.Sequence(lambda n: f"B{n}")


def make_room_type(*, beds: int = 2, rooms: int = 1, project: Project | None = None, **kwargs) -> RoomType:
    """A room type with `rooms` rooms of `beds` beds each."""
    room_type = RoomTypeFactory(project=project or ProjectFactory(), beds_per_room=beds, **kwargs)
    for r in range(rooms):
        room = RoomFactory(room_type=room_type, number=f"{room_type.pk}-{r + 1}", floor=r + 1)
        Bed.objects.bulk_create([Bed(room=room, label=f"{i + 1}号床") for i in range(beds)])
    return room_type


def make_couple_type(*, rooms: int = 1, project: Project | None = None, **kwargs) -> RoomType:
    kwargs.setdefault("kind", RoomType.Kind.COUPLE_ROOM)
    kwargs.setdefault("rent", 1200)
    kwargs.setdefault("household", HouseholdKind.COUPLE)
    return make_room_type(beds=1, rooms=rooms, project=project, rent_mode=RoomType.RentMode.PER_ROOM, **kwargs)


_phone = iter(range(13700000000, 13799999999))


def make_rider(*, occupation: str = "food_delivery", street_code: str | None = "SJ", name: str = "") -> User:
    user = User.objects.create_user(str(next(_phone)), role=Role.RIDER, name=name or "骑手")
    RiderProfile.objects.create(
        user=user,
        occupation=occupation,
        platform="美团",
        work_street=Street.objects.get(code=street_code) if street_code else None,
    )
    return user


def default_rules() -> list[EligibilityRule]:
    return [
        EligibilityRule.objects.create(
            code=EligibilityRule.Code.NEW_EMPLOYMENT, failure_message="需在朝阳区从事快递、外卖或网约车工作。"
        ),
        EligibilityRule.objects.create(
            code=EligibilityRule.Code.NO_ACTIVE_LEASE, failure_message="您名下已有在租的保障房。"
        ),
    ]


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)
