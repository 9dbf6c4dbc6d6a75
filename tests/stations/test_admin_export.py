"""The admin's import-export export neutralises formulas in every format, like the streaming CSVs."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from chaoyang_friendly.resources import EscapedModelResource
from stations.models import Station

from .factories import StationFactory

EXPORT_URL = "/admin/stations/station/export/"
FORMULA = '=HYPERLINK("http://evil.example/","点我")'


def _export(client, file_format: type) -> bytes:
    station_admin = admin.site.get_model_admin(Station)
    index = next(i for i, f in enumerate(station_admin.get_export_formats()) if f is file_format)
    fields = {f"stationresource_{name}": "on" for name in ("code", "name", "host_org", "notes", "charging_ports")}
    response = client.post(EXPORT_URL, {"format": str(index), "resource": "0", **fields})
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.fixture
def booby_trapped(staff_a, streets) -> Station:
    return StationFactory(name=FORMULA, host_org="+1+cmd|' /C calc'!A0", notes="@SUM(1)", charging_ports=3)


def test_csv_export_escapes_formula_cells(admin_client_for, staff_a, booby_trapped):
    content = _export(admin_client_for(staff_a), CSV).decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(content)) if r["name"].endswith(FORMULA))
    assert row["name"] == "'" + FORMULA
    assert row["host_org"].startswith("'+1")
    assert row["notes"] == "'@SUM(1)"
    assert row["charging_ports"] == "3"


def test_xlsx_export_has_no_live_formula(admin_client_for, staff_a, booby_trapped):
    content = _export(admin_client_for(staff_a), XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    row = dict(zip(header, next(r for r in rows[1:] if FORMULA in str(r[header.index("name")])), strict=True))
    assert row["name"] == "'" + FORMULA
    assert row["notes"] == "'@SUM(1)"
    assert row["charging_ports"] == 3  # numbers stay numbers
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)


def test_every_admin_export_uses_the_escaping_resource(rf, analyst):
    request = rf.get("/")
    request.user = analyst
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, ExportMixin):
            for resource in model_admin.get_export_resource_classes(request):
                assert issubclass(resource, EscapedModelResource), (model_admin, resource)
