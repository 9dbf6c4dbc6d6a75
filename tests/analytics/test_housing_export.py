import csv
import io

import pytest

from housing.models import Bed
from tests.housing.factories import ProjectFactory, make_room_type


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def beds(streets):
    yishe = ProjectFactory(name="怡舍公寓", street=streets["SJ"])
    dorm = make_room_type(beds=6, rooms=2, project=yishe, name="六人间", rent=800)  # 12 beds
    ids = list(Bed.objects.filter(room__room_type=dorm).order_by("pk").values_list("pk", flat=True))
    Bed.objects.filter(pk__in=ids[:9]).update(status=Bed.Status.OCCUPIED)
    Bed.objects.filter(pk__in=ids[9:10]).update(status=Bed.Status.HELD)
    Bed.objects.filter(pk__in=ids[10:11]).update(status=Bed.Status.OUT_OF_SERVICE)
    other = ProjectFactory(name="七彩家园", street=streets["JZ"])
    make_room_type(beds=1, rooms=3, project=other, name="夫妻间", rent=1200)
    return yishe, other


def test_occupancy_export_matches_the_beds(beds, analyst, admin_client_for):
    rows = _csv(admin_client_for(analyst).get("/analytics/exports/housing-occupancy.csv"))
    record = {r[0]: r for r in rows[1:]}
    assert rows[0][4:] == ["床位总数", "已入住", "已发邀约", "空闲", "停用", "入住率(%)"]
    assert record["怡舍公寓"][4:] == ["12", "9", "1", "1", "1", "75.0"]
    assert record["七彩家园"][4:] == ["3", "0", "0", "3", "0", "0.0"]


def test_occupancy_is_scoped_to_the_street(beds, staff_a, admin_client_for):
    rows = _csv(admin_client_for(staff_a).get("/analytics/exports/housing-occupancy.csv"))
    assert [r[0] for r in rows[1:]] == ["怡舍公寓"]


def test_the_occupancy_chart_counts_beds(beds, analyst, admin_client_for):
    data = admin_client_for(analyst).get("/analytics/charts/occupancy.json").json()
    i = data["labels"].index("怡舍公寓")
    series = {ds["label"]: ds["data"][i] for ds in data["datasets"]}
    assert series == {"已入住": 9, "已发邀约": 1, "空余": 2}
