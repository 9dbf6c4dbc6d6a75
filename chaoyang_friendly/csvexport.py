"""One streaming CSV mechanism for every export (analytics, admin actions, API, Celery jobs).

Rows are read from the database in chunks (a server-side cursor on PostgreSQL) and written as they are
read, so memory stays flat whatever the row count. Files are UTF-8 with a BOM (Excel on a Chinese Windows
opens them without mojibake), headers are Chinese (English with lang="en"), times are Asia/Shanghai,
cells that Excel would run as formulas are neutralised, mobile numbers are masked unless the user holds
`chaoyang_friendly.export_personal_data`, and every export is logged in ExportLog.
"""

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.phone import mask_phone

from .models import ExportLog

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PERSONAL_DATA_PERM = "chaoyang_friendly.export_personal_data"
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Column:
    """One CSV column: `key` indexes the row, `zh`/`en` are the headers, `kind` decides formatting."""

    key: str
    zh: str
    en: str
    kind: str = "text"  # text | number | datetime | date | phone | bool | minutes | days


@dataclass
class ExportSpec:
    """What to export: the rows (an iterable of dicts, a values() queryset or a callable) and columns."""

    name: str
    columns: list[Column]
    rows: Iterable[dict[str, Any]] | QuerySet | Callable[[], Iterable[dict[str, Any]]]
    filters: dict[str, Any] = field(default_factory=dict)


class _Echo:
    def write(self, value: str) -> str:
        return value


def neutralise(text: str) -> str:
    """Prefix a quote to cells that a spreadsheet would evaluate as a formula."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def format_cell(value: Any, kind: str, *, unmask: bool) -> str:
    if value is None:
        return ""
    if kind == "phone":
        return neutralise(str(value) if unmask else mask_phone(str(value)))
    if isinstance(value, bool) or kind == "bool":
        return "是" if value else "否"
    if isinstance(value, dt.timedelta):
        if kind == "days":
            return f"{value.total_seconds() / 86400:.1f}"
        return f"{value.total_seconds() / 60:.1f}"
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}" if kind == "minutes" else repr(round(value, 6))
    if isinstance(value, int | Decimal):
        return str(value)
    return neutralise(str(value))


def _iter_rows(rows: Any) -> Iterator[dict[str, Any]]:
    if callable(rows):
        rows = rows()
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=CHUNK_SIZE)
    return iter(rows)


def csv_lines(
    spec: ExportSpec, *, lang: str = "zh", unmask: bool = False, log: ExportLog | None = None
) -> Iterator[str]:
    """Yield the CSV text line by line (BOM first); finish the log with the row count at the end."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([c.en if lang == "en" else c.zh for c in spec.columns])
    count = 0
    try:
        for row in _iter_rows(spec.rows):
            count += 1
            yield writer.writerow([format_cell(row.get(c.key), c.kind, unmask=unmask) for c in spec.columns])
    finally:
        if log is not None:
            ExportLog.objects.filter(pk=log.pk).update(row_count=count, finished_at=timezone.now())


def export_log_start(*, user: Any, spec: ExportSpec, channel: str, unmask: bool) -> ExportLog:
    return ExportLog.objects.create(
        user=user, name=spec.name, filters=spec.filters, channel=channel, personal_data=unmask
    )


def user_may_unmask(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(PERSONAL_DATA_PERM))


def stream_csv(spec: ExportSpec, *, user: Any, lang: str = "zh", channel: str = "page") -> StreamingHttpResponse:
    """A StreamingHttpResponse of the export, logged; phones masked unless the user may see them."""
    unmask = user_may_unmask(user)
    log = export_log_start(user=user, spec=spec, channel=channel, unmask=unmask)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_lines(spec, lang=lang, unmask=unmask, log=log), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{spec.name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
