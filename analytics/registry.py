"""The exports the district reports on. Each is a small class: its rows (a values() queryset, streamed),
its columns, where its street and its date live. `build()` applies scoping and filters the same way for
every channel (analyst page, admin action, API, Celery job)."""

from typing import Any, ClassVar

from django.db.models import QuerySet

from chaoyang_friendly.csvexport import Column, ExportSpec
from chaoyang_friendly.scoping import scope_queryset

from .filters import Filters

EXPORTS: dict[str, "ExportDefinition"] = {}


class ExportDefinition:
    name: ClassVar[str]
    title: ClassVar[str]
    columns: ClassVar[list[Column]]
    street_lookup: ClassVar[str] = "street"
    date_lookup: ClassVar[str | None] = "created_at"
    admin_model: ClassVar[str | None] = None  # "app_label.Model" whose changelist gets this as an action

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def rows(self, queryset: QuerySet) -> Any:
        """Rows as dicts keyed by the columns' keys (usually `queryset.values(...)`)."""
        raise NotImplementedError

    def filtered(self, *, user: Any, filters: Filters, queryset: QuerySet | None = None) -> QuerySet:
        qs = scope_queryset(self.base_queryset() if queryset is None else queryset, user, self.street_lookup)
        if filters.street_id is not None:
            qs = qs.filter(**{self.street_lookup: filters.street_id})
        if self.date_lookup and filters.start is not None:
            qs = qs.filter(**{f"{self.date_lookup}__gte": self.date_value(filters.start)})
        if self.date_lookup and filters.end is not None:
            qs = qs.filter(**{f"{self.date_lookup}__lt": self.date_value(filters.end)})
        return qs

    def date_value(self, moment: Any) -> Any:
        """The bound compared with date_lookup (a datetime; override for date fields)."""
        return moment

    def build(self, *, user: Any, filters: Filters, queryset: QuerySet | None = None) -> ExportSpec:
        qs = self.filtered(user=user, filters=filters, queryset=queryset)
        return ExportSpec(name=self.name, columns=self.columns, rows=self.rows(qs), filters=filters.as_dict())


def register(cls: type[ExportDefinition]) -> type[ExportDefinition]:
    EXPORTS[cls.name] = cls()
    return cls
