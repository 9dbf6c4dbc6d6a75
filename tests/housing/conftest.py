from collections.abc import Callable

import pytest

from accounts.models import User
from housing.models import Application, RoomType
from housing.services import application_submit

from .factories import default_rules, make_room_type, tomorrow


@pytest.fixture
def rules(streets):
    return default_rules()


@pytest.fixture
def dorm(streets) -> RoomType:
    """A six-person dorm type in 双井 with one room of 2 beds (small on purpose)."""
    return make_room_type(beds=2, rooms=1)


@pytest.fixture
def submit() -> Callable[..., Application]:
    def do(rider: User, room_type: RoomType, **kwargs) -> Application:
        kwargs.setdefault("household_kind", room_type.household)
        kwargs.setdefault("gender", "male")
        kwargs.setdefault("move_in_date", tomorrow())
        return application_submit(rider=rider, project=room_type.project, room_types=[room_type], **kwargs)

    return do
