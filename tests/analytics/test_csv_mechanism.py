"""The one streaming CSV mechanism (chaoyang_friendly.csvexport), through the riders export."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from accounts.models import RiderProfile, Role, User
from chaoyang_friendly.csvexport import Column, ExportSpec, csv_lines, format_cell, neutralise
from chaoyang_friendly.models import ExportLog

URL = "/analytics/exports/riders.csv"


def _read(response) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _riders(streets, n: int, street: str = "SJ", start: int = 0) -> None:
    for i in range(start, start + n):
        user = User.objects.create_user(f"1370000{i:04d}", role=Role.RIDER, name=f"骑手{i}")
        RiderProfile.objects.create(
            user=user, occupation="courier", platform='=HYPERLINK("x")', work_street=streets[street]
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok", "ok"),
        ("", ""),
    ],
)
def test_cells_that_excel_would_run_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_times_are_written_in_asia_shanghai():
    moment = dt.datetime(2026, 11, 1, 16, 30, tzinfo=dt.UTC)
    assert format_cell(moment, "datetime", unmask=False) == "2026-11-02 00:30:00"
    assert format_cell(-3, "number", unmask=False) == "-3"  # numbers are not neutralised
    assert format_cell("13812345678", "phone", unmask=False) == "138****5678"
    assert format_cell("13812345678", "phone", unmask=True) == "13812345678"


def test_the_export_has_a_bom_chinese_headers_masked_phones_and_neutralised_cells(streets, analyst, admin_client_for):
    _riders(streets, 3)
    response = admin_client_for(analyst).get(URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw, rows = _read(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows[0] == ["编号", "手机号", "称呼", "职业", "平台/雇主", "工作街道", "登记时间"]
    assert len(rows) == 4
    assert rows[1][1] == "137****0000"
    assert rows[1][4].startswith("'=")
    assert rows[1][5] == "双井街道"
    registered = dt.datetime.strptime(rows[1][6], "%Y-%m-%d %H:%M:%S")
    created = RiderProfile.objects.order_by("pk").first().created_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert registered == created.replace(tzinfo=None, microsecond=0)


def test_english_headers_on_request(streets, analyst, admin_client_for):
    _riders(streets, 1)
    _raw, rows = _read(admin_client_for(analyst).get(URL, {"lang": "en"}))
    assert rows[0][:2] == ["id", "phone"]


def test_phones_are_unmasked_only_with_the_explicit_permission(streets, analyst, admin_client_for):
    _riders(streets, 1)
    analyst.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
    analyst = User.objects.get(pk=analyst.pk)  # drop the permission cache
    _raw, rows = _read(admin_client_for(analyst).get(URL))
    assert rows[1][1] == "13700000000"
    assert ExportLog.objects.get().personal_data is True


def test_every_export_is_logged_with_who_what_filters_and_rows(streets, analyst, admin_client_for):
    _riders(streets, 2)
    _riders(streets, 1, street="SLT", start=10)
    _raw, rows = _read(admin_client_for(analyst).get(URL, {"street": "SJ", "date_from": "2020-01-01"}))
    assert len(rows) == 3
    log = ExportLog.objects.get()
    assert (log.user, log.name, log.row_count, log.personal_data) == (analyst, "riders", 2, False)
    assert log.filters["date_from"] == "2020-01-01"
    assert log.filters["street_id"] == streets["SJ"].pk
    assert log.finished_at is not None


def test_street_staff_get_only_their_street_and_cannot_ask_for_another(
    streets, staff_a, staff_b, admin_client_for, client
):
    _riders(streets, 2, "SJ")
    _riders(streets, 3, "SLT", start=10)
    _raw, rows = _read(admin_client_for(staff_a).get(URL))
    assert {r[5] for r in rows[1:]} == {"双井街道"} and len(rows) == 3
    response = admin_client_for(staff_a).get(URL, {"street": "SLT"})
    assert response.status_code == 400
    _raw, rows = _read(admin_client_for(staff_b).get(URL))
    assert {r[5] for r in rows[1:]} == {"三里屯街道"} and len(rows) == 4


def test_riders_and_anonymous_users_cannot_export(streets, rider, admin_client_for, client, api):
    assert client.get(URL).status_code == 302  # to the admin login
    assert api(rider).get("/api/v1/exports/riders.csv").status_code == 403
    assert api().get("/api/v1/exports/riders.csv").status_code == 401


def test_bad_filters_name_the_parameter(streets, analyst, admin_client_for):
    client = admin_client_for(analyst)
    response = client.get(URL, {"date_from": "yesterday"})
    assert response.status_code == 400 and "date_from" in response.content.decode()
    response = client.get(URL, {"street": "NOPE"})
    assert response.status_code == 400 and "street" in response.content.decode()
    assert client.get("/analytics/exports/nothing.csv").status_code == 404


def test_the_api_streams_the_same_export_with_a_token(streets, analyst, api):
    _riders(streets, 2)
    response = api(analyst).get("/api/v1/exports/riders.csv", {"street": "SJ"})
    assert response.status_code == 200
    _raw, rows = _read(response)
    assert len(rows) == 3
    assert ExportLog.objects.get().channel == "api"


def test_the_query_count_does_not_grow_with_rows(streets, analyst, admin_client_for, django_assert_num_queries):
    client = admin_client_for(analyst)
    _riders(streets, 2)
    # (1) session (2) user (3, 4) user and group permissions for the personal-data check
    # (5) export log insert (6) SAVEPOINT (7) the rows through one COPY (8) RELEASE SAVEPOINT
    # (9) log update with the row count
    with django_assert_num_queries(9):
        _read(client.get(URL))
    _riders(streets, 40, start=100)
    with django_assert_num_queries(9):
        _raw, rows = _read(client.get(URL))
    assert len(rows) == 43


def test_the_generator_writes_rows_as_it_reads_them():
    produced = []

    def rows():
        for i in range(3):
            produced.append(i)
            yield {"n": i}

    lines = csv_lines(ExportSpec(name="t", columns=[Column("n", "数", "n", "number")], rows=rows), batch=2)
    assert next(lines).startswith("\ufeff")
    assert produced == []
    assert next(lines) == "0\n1\n"
    assert produced == [0, 1]  # nothing read ahead of the batch
    assert next(lines) == "2\n"


def test_an_admin_action_exports_the_selected_rows(streets, analyst, admin_client_for):
    _riders(streets, 3)
    chosen = list(RiderProfile.objects.order_by("pk").values_list("pk", flat=True)[:2])
    response = admin_client_for(analyst).post(
        "/admin/accounts/riderprofile/", {"action": "export_riders", "_selected_action": chosen}
    )
    assert response.status_code == 200
    _raw, rows = _read(response)
    assert [int(r[0]) for r in rows[1:]] == chosen
    assert ExportLog.objects.get().channel == "admin"


def test_a_client_that_hangs_up_mid_copy_leaves_a_usable_connection(streets, analyst):
    from accounts.models import RiderProfile as Profile
    from analytics.filters import parse_filters
    from analytics.registry import EXPORTS
    from chaoyang_friendly.csvexport import export_log_start

    users = User.objects.bulk_create([User(phone=f"1350{i:07d}", role=Role.RIDER, password="!") for i in range(3000)])
    Profile.objects.bulk_create([Profile(user=u, platform="平台" * 10, work_street=streets["SJ"]) for u in users])
    spec = EXPORTS["riders"].build(user=analyst, filters=parse_filters({}, analyst))
    log = export_log_start(user=analyst, spec=spec, channel="api", unmask=False)
    lines = csv_lines(spec, log=log)
    next(lines)  # header
    first = next(lines)
    assert isinstance(first, bytes)  # the COPY path
    lines.close()  # the client went away
    assert Profile.objects.count() == 3000  # the connection still answers
    assert ExportLog.objects.get(pk=log.pk).finished_at is not None
