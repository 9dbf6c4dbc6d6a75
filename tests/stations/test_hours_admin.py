"""The station admin's hours editor, the holiday calendar admin, and the QR sheet and coverage pages
(issue #15): the editor is on the form, what the clerk types is checked and tidied on the server, riders'
words are shown beside it; district staff keep the 调休 list and street staff read it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from stations.models import CalendarDay, Station

from .factories import StationFactory

CHANGELIST = "/admin/stations/station/"


def _form(station: Station, **changes) -> dict:
    data = {
        "name": station.name,
        "kind": station.kind,
        "status": station.status,
        "point": '{"type": "Point", "coordinates": [116.4665, 39.8935]}',
        "opening_hours": station.opening_hours,
        "charging_ports": 0,
        "swap_ports": 0,
        "parking_spots": 0,
        "feedback-TOTAL_FORMS": 0,
        "feedback-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_the_change_form_carries_the_editor_and_the_riders_words(admin_client_for, staff_a, streets):
    station = StationFactory(opening_hours="Mo-Fr 09:00-21:00; PH off")
    body = admin_client_for(staff_a).get(f"{CHANGELIST}{station.pk}/change/").content.decode()
    assert 'data-hours-editor-for="id_opening_hours"' in body
    assert "stations/hours_editor.js" in body and "jsi18n" in body
    assert "骑手看到的营业时间" in body and "周一至周五 9:00–21:00，节假日休息" in body


def test_full_width_punctuation_is_tidied_on_save(admin_client_for, staff_a, streets):
    station = StationFactory()
    response = admin_client_for(staff_a).post(
        f"{CHANGELIST}{station.pk}/change/", _form(station, opening_hours="Mo-Fr 09：00－21：00； PH off")
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert station.opening_hours == "Mo-Fr 09:00-21:00; PH off"


def test_an_impossible_range_is_refused_with_a_clear_error(admin_client_for, staff_a, streets):
    station = StationFactory(opening_hours="24/7")
    response = admin_client_for(staff_a).post(
        f"{CHANGELIST}{station.pk}/change/", _form(station, opening_hours="Mo-Fr 21:00-21:00")
    )
    assert response.status_code == 200
    assert "时段 21:00-21:00 的开始和结束时间相同" in response.content.decode()
    station.refresh_from_db()
    assert station.opening_hours == "24/7"


def test_changelist_links_the_qr_sheet_and_district_coverage(admin_client_for, staff_a, analyst, streets):
    StationFactory()
    street = admin_client_for(staff_a).get(CHANGELIST).content.decode()
    assert f"{CHANGELIST}qr-sheet/" in street and f"{CHANGELIST}coverage/" not in street
    district = admin_client_for(analyst)
    body = district.get(CHANGELIST).content.decode()
    assert f"{CHANGELIST}qr-sheet/" in body and f"{CHANGELIST}coverage/" in body
    coverage = district.get(f"{CHANGELIST}coverage/")
    assert coverage.status_code == 200 and "面积（km²）" in coverage.content.decode()
    assert district.get(f"{CHANGELIST}qr-sheet/").status_code == 200


def test_district_staff_keep_the_calendar_and_streets_read_it(admin_client_for, analyst, staff_a, streets):
    from stations import workdays

    workdays._staff_days()
    saved = workdays._memo
    try:
        district = admin_client_for(analyst)
        response = district.post(
            "/admin/stations/calendarday/add/", {"date": "2027-03-13", "kind": "workday", "note": "调休上班"}
        )
        assert response.status_code == 302
        assert CalendarDay.objects.get().kind == CalendarDay.Kind.WORKDAY
        street = admin_client_for(staff_a)
        assert street.get("/admin/stations/calendarday/").status_code == 200
        assert street.get("/admin/stations/calendarday/add/").status_code == 403
    finally:
        workdays._memo = saved


def test_the_calendar_page_lists_the_breaks_and_make_up_days_it_knows(admin_client_for, analyst, streets):
    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        body = admin_client_for(analyst).get("/admin/stations/calendarday/").content.decode()
    assert "2026-10-01（周四） – 2026-10-07，共 7 天" in body
    assert "2026-10-10（周六）" in body and "调休上班" in body


def test_imports_and_services_tidy_full_width_hours_too(staff_a, streets):
    from django.contrib.gis.geos import Point

    from stations.services import station_create

    station = station_create(
        actor=staff_a, name="导入的站", point=Point(116.4665, 39.8935, srid=4326), opening_hours="Mo-Su 08：00－20：00"
    )
    assert station.opening_hours == "Mo-Su 08:00-20:00"
