from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Role, User
from partybranch.models import Activity, Branch, Committee, Membership, Session, VolunteerTeam


class RiderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"1371{n:07d}")
    name = factory.Sequence(lambda n: f"骑手{n}")
    role = Role.RIDER


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    name = factory.Sequence(lambda n: f"行业党委{n}")
    industry = Committee.Industry.FOOD_DELIVERY


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"新就业群体党支部{n}")
    meeting_place = "红驿课堂"
    point = factory.LazyAttribute(lambda o: o.street.centre)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    role = Membership.Role.MEMBER


class ActivityFactory(factory.django.DjangoModelFactory):
    """A published family day in the given street, one session tomorrow 09:00–12:00."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    kind = Activity.Kind.FAMILY_DAY
    title = factory.Sequence(lambda n: f"乐游北京家庭日{n}")
    place = "奥林匹克森林公园"
    point = factory.LazyAttribute(lambda o: o.street.centre)
    capacity = 10
    family_allowed = True
    child_min_age = 3
    child_max_age = 14
    audience = Activity.Audience.RIDERS
    status = Activity.Status.PUBLISHED

    @factory.post_generation
    def sessions(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
            extracted = [(start, start + timedelta(hours=3))]
        for start, end in extracted:
            Session.objects.create(activity=obj, start=start, end=end)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerTeam

    name = factory.Sequence(lambda n: f"骑手团{n}")


def me(user, age=35):
    return {"name": user.name or "本人", "relationship": "self", "age": age}


def child(name="小明", age=8):
    return {"name": name, "relationship": "child", "age": age}


def spouse(name="张女士", age=33):
    return {"name": name, "relationship": "spouse", "age": age}
