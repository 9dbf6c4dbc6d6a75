"""Bulk import of stations from XLSX/CSV (django-import-export).

Columns: code (optional: updates that station), name, kind (code or Chinese label), status, address, lng,
lat (WGS-84), host_org, phone, opening_hours, amenities (codes separated by commas), charging_ports,
swap_ports, parking_spots, notes. Each row's street comes from its location; street staff can only import
into their own street. Any row error shows per row and nothing is written (one transaction).
"""

from typing import Any

from django.core.exceptions import ValidationError
from import_export import fields, widgets

from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import make_point
from chaoyang_friendly.resources import EscapedModelResource
from chaoyang_friendly.scoping import scope_queryset

from .models import Amenity, Station, StationEvent
from .phones import normalize_station_phone
from .services import station_street_for


class ChoiceWidget(widgets.Widget):
    """Accepts a choice's value or its (Chinese) label."""

    def __init__(self, choices: Any, default: str) -> None:
        super().__init__()
        self.choices = choices
        self.default = default

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = str(value or "").strip()
        if not text:
            return self.default
        for choice_value, label in self.choices.choices:
            if text in (choice_value, str(label)):
                return choice_value
        raise ValueError(f"无效的取值：{text}")

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(dict(self.choices.choices).get(value, value or ""))


class AmenityCodesWidget(widgets.ManyToManyWidget):
    """Amenity codes separated by commas (or 、); unknown codes are an error, not silently dropped."""

    def __init__(self) -> None:
        super().__init__(Amenity, separator=",", field="code")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        codes = [c.strip() for c in str(value or "").replace("、", ",").replace("，", ",").split(",") if c.strip()]
        if not codes:
            return Amenity.objects.none()
        found = Amenity.objects.filter(code__in=codes)
        unknown = sorted(set(codes) - set(found.values_list("code", flat=True)))
        if unknown:
            raise ValueError(f"未知的服务设施：{', '.join(unknown)}")
        return found


class StationResource(EscapedModelResource):
    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Station.Kind, "station"))
    status = fields.Field(attribute="status", column_name="status", widget=ChoiceWidget(Station.Status, "active"))
    lng = fields.Field(column_name="lng", readonly=True)
    lat = fields.Field(column_name="lat", readonly=True)
    amenities = fields.Field(attribute="amenities", column_name="amenities", widget=AmenityCodesWidget())

    class Meta:
        model = Station
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "kind",
            "status",
            "address",
            "lng",
            "lat",
            "host_org",
            "phone",
            "opening_hours",
            "amenities",
            "charging_ports",
            "swap_ports",
            "parking_spots",
            "notes",
        )
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = False
        report_skipped = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self.actor = kwargs.get("user")
        if "code" not in (dataset.headers or []):
            dataset.append_col([""] * len(dataset), header="code")  # a file of new stations only

    def get_queryset(self) -> Any:
        # Rows with a code update only stations the importing user may see (others count as new → error).
        qs = Station.objects.all()
        actor = getattr(self, "actor", None)
        return scope_queryset(qs, actor) if actor is not None else qs

    def import_field(self, field: Any, instance: Any, row: Any, is_m2m: bool = False, **kwargs: Any) -> None:
        if field.attribute == "code":
            return  # codes are generated; a code column only selects the station to update
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        code = str(row.get("code") or "").strip()
        if not code:
            return None
        instance = self.get_queryset().filter(code=code.upper()).first()
        if instance is None:
            raise ValidationError({"code": f"未找到编码为 {code} 的驿站（或不属于您的街道）。"})
        return instance

    def import_instance(self, instance: Station, row: Any, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            instance.point = make_point(row.get("lng"), row.get("lat"))
            instance.street = station_street_for(point=instance.point, actor=getattr(self, "actor", None))
        except ApplicationError as exc:
            errors.setdefault("point", []).append(str(exc.message))
        if "amenities" in row:
            try:  # M2M values are only saved after the row; check the codes with the row's other fields
                self.fields["amenities"].widget.clean(row.get("amenities"))
            except ValueError as exc:
                errors.setdefault("amenities", []).append(str(exc))
        if instance.phone:
            try:
                instance.phone = normalize_station_phone(instance.phone)
            except ValidationError as exc:
                errors.setdefault("phone", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)

    def after_save_instance(self, instance: Station, row: Any, **kwargs: Any) -> None:
        if not kwargs.get("dry_run"):
            StationEvent.objects.create(
                station=instance,
                kind=StationEvent.Kind.IMPORTED,
                actor=getattr(self, "actor", None),
                data={"file": kwargs.get("file_name") or ""},
            )

    def dehydrate_lng(self, station: Station) -> float:
        return round(station.point.x, 6)

    def dehydrate_lat(self, station: Station) -> float:
        return round(station.point.y, 6)


def stations_import(*, dataset: Any, actor: Any, dry_run: bool = False, file_name: str = "") -> Any:
    """Import a tablib Dataset of stations as `actor`; all rows or none (errors roll everything back)."""
    return StationResource().import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        user=actor,
        file_name=file_name,
    )
