"""Vacancy figures per room type, counted in one grouped join (the correlated counts took 1.4 s per list
with the demo's 10,248 beds)."""

from housing.models import Bed, RoomType
from housing.selectors import room_types_with_vacancies

from .factories import BedFactory, RoomFactory, RoomTypeFactory


def test_beds_and_whole_rooms_are_counted_once_each(streets, django_assert_num_queries):
    room_type = RoomTypeFactory(rent_mode=RoomType.RentMode.PER_ROOM)
    mixed, free = RoomFactory(room_type=room_type), RoomFactory(room_type=room_type)
    RoomFactory(room_type=room_type)  # a room without beds counts as vacant
    BedFactory(room=mixed, status=Bed.Status.AVAILABLE)
    BedFactory(room=mixed, status=Bed.Status.OCCUPIED)
    BedFactory(room=free, status=Bed.Status.AVAILABLE)
    BedFactory(room=free, status=Bed.Status.AVAILABLE)
    other = RoomTypeFactory(project=room_type.project)
    BedFactory(room=RoomFactory(room_type=other), status=Bed.Status.HELD)
    with django_assert_num_queries(1):  # one grouped query for every room type
        figures = {t.pk: t for t in room_types_with_vacancies(RoomType.objects.all())}
    t = figures[room_type.pk]
    assert (t.total_beds, t.vacant_beds, t.occupied_beds) == (4, 3, 1)
    assert (t.total_rooms, t.vacant_rooms, t.vacancies) == (3, 2, 2)  # the free room and the room without beds
    o = figures[other.pk]
    assert (o.total_beds, o.vacant_beds, o.total_rooms, o.vacant_rooms, o.vacancies) == (1, 0, 1, 0, 0)
