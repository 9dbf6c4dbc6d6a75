"""One streaming CSV mechanism for every export (analytics, admin actions, API, Celery jobs).

Rows are read from the database in chunks (a server-side cursor on PostgreSQL) and written as they are
read, so memory stays flat whatever the row count. Files are UTF-8 with a BOM (Excel on a Chinese Windows
opens them without mojibake), headers are Chinese (English with lang="en"), times are Asia/Shanghai,
cells that Excel would run as formulas are neutralised, mobile numbers are masked unless the user holds
`chaoyang_friendly.export_personal_data`, and every export is logged in ExportLog.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.phone import mask_phone

from .csvsql import copy_chunks, copy_ok
from .models import ExportLog

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PERSONAL_DATA_PERM = "chaoyang_friendly.export_personal_data"
CHUNK_SIZE = 10_000  # rows per server-side cursor fetch
BATCH_ROWS = 500  # rows per chunk written to the response


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


def neutralise(text: str) -> str:
    """Prefix a quote to cells that a spreadsheet would evaluate as a formula."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _format_datetime(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(tz or timezone.get_current_timezone())
    return value.isoformat(sep=" ", timespec="seconds")[:19]


def _format_generic(value: Any, kind: str) -> str:
    if isinstance(value, bool) or kind == "bool":
        return "是" if value else "否"
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds() / (86400 if kind == 'days' else 60):.1f}"
    if isinstance(value, dt.datetime):
        return _format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}" if kind == "minutes" else repr(round(value, 6))
    if isinstance(value, int | Decimal):
        return str(value)
    return neutralise(str(value))


def cell_formatter(kind: str, *, unmask: bool) -> Callable[[Any], str]:
    """Return the function that turns one value of a column of `kind` into its CSV text."""
    if kind == "phone":
        return lambda v: "" if v is None else neutralise(str(v) if unmask else mask_phone(str(v)))
    if kind == "datetime":
        tz = timezone.get_current_timezone()  # looked up once per export, not per cell
        return lambda v: (
            "" if v is None else _format_datetime(v, tz) if isinstance(v, dt.datetime) else _format_generic(v, kind)
        )
    if kind == "number":
        return lambda v: (
            ""
            if v is None
            else str(v)
            if isinstance(v, int | Decimal) and not isinstance(v, bool)
            else _format_generic(v, kind)
        )
    if kind == "text":
        return lambda v: "" if v is None else neutralise(v) if isinstance(v, str) else _format_generic(v, kind)
    return lambda v: "" if v is None else _format_generic(v, kind)


def format_cell(value: Any, kind: str, *, unmask: bool) -> str:
    return cell_formatter(kind, unmask=unmask)(value)


def _iter_tuples(rows: Any, keys: list[str]) -> Iterator[tuple[Any, ...]]:
    """Rows as tuples in column order. A values() queryset is read as values_list() through a server-side
    cursor in chunks (no dict per row)."""
    if callable(rows):
        rows = rows()
    if isinstance(rows, QuerySet):
        return rows.values_list(*keys).iterator(chunk_size=CHUNK_SIZE)
    return (tuple(row.get(key) for key in keys) for row in rows)


def csv_lines(
    spec: ExportSpec,
    *,
    lang: str = "zh",
    unmask: bool = False,
    log: ExportLog | None = None,
    batch: int = BATCH_ROWS,
    use_copy: bool = True,
) -> Iterator[str | bytes]:
    """Yield the CSV (BOM and header first, then the rows as they are read); finish the log with the
    row count at the end. On PostgreSQL a queryset is formatted by the database and streamed with COPY
    (csvsql.py); otherwise rows are formatted here, `batch` at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.en if lang == "en" else c.zh for c in spec.columns])
    yield BOM + buffer.getvalue()
    rows = spec.rows() if callable(spec.rows) else spec.rows
    if use_copy and copy_ok(rows):
        counter = [0]
        try:
            yield from copy_chunks(rows, spec.columns, unmask=unmask, counter=counter)
        finally:
            if log is not None:
                ExportLog.objects.filter(pk=log.pk).update(row_count=counter[0], finished_at=timezone.now())
        return
    yield from _python_lines(spec, rows, buffer, writer, unmask=unmask, log=log, batch=batch)


def _python_lines(
    spec: ExportSpec, rows: Any, buffer: io.StringIO, writer: Any, *, unmask: bool, log: ExportLog | None, batch: int
) -> Iterator[str]:
    formatters = [cell_formatter(c.kind, unmask=unmask) for c in spec.columns]
    count = 0
    pending: list[list[str]] = []
    try:
        for row in _iter_tuples(rows, [c.key for c in spec.columns]):
            pending.append([f(v) for f, v in zip(formatters, row, strict=True)])
            if len(pending) >= batch:
                count += len(pending)
                yield _flush(buffer, writer, pending)
        if pending:
            count += len(pending)
            yield _flush(buffer, writer, pending)
    finally:
        if log is not None:
            ExportLog.objects.filter(pk=log.pk).update(row_count=count, finished_at=timezone.now())


def _flush(buffer: io.StringIO, writer: Any, pending: list[list[str]]) -> str:
    buffer.seek(0)
    buffer.truncate()
    writer.writerows(pending)
    pending.clear()
    return buffer.getvalue()


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
