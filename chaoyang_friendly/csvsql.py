"""The PostgreSQL fast path of the CSV mechanism: the same cells, formatted by the database and streamed
with `COPY (SELECT …) TO STDOUT (FORMAT csv)`.

Each column becomes one SQL expression that yields exactly the text the Python formatters in
csvexport.py produce (times in the portal's time zone, masked phones, formula-neutralised text, 是/否,
minutes with one decimal). Empty text becomes NULL so that COPY writes an empty, unquoted field as
Python's csv module does. tests/analytics/test_csv_paths.py holds the two paths to the same bytes.
"""

import re
from collections.abc import Iterator
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Func, QuerySet, TextField

# The helper functions are created by chaoyang_friendly/migrations/0002 (PostgreSQL only).
COPY_BUFFER_BYTES = 64 * 1024
_TZ = re.compile(r"^[A-Za-z_+\-/0-9]+$")


class _Text(Func):
    output_field = TextField()


def _expression(key: str, kind: str, *, unmask: bool) -> Func:
    value = F(key)
    if kind == "phone":
        template = "cyf_csv_text((%(expressions)s)::text)" if unmask else "cyf_mask_phone((%(expressions)s)::text)"
    elif kind == "datetime":
        tz = settings.TIME_ZONE
        if not _TZ.match(tz):
            raise ValueError("unexpected TIME_ZONE")
        # date_trunc(...)::text prints "YYYY-MM-DD HH:MM:SS" (ISO DateStyle), ~2x cheaper than to_char.
        template = f"date_trunc('second', (%(expressions)s) AT TIME ZONE '{tz}')::text"
    elif kind == "date":
        template = "to_char(%(expressions)s, 'YYYY-MM-DD')"
    elif kind == "bool":
        template = "cyf_csv_bool(%(expressions)s)"
    elif kind == "minutes":
        template = "cyf_csv_minutes(%(expressions)s)"
    elif kind == "days":
        template = "round((extract(epoch FROM %(expressions)s) / 86400)::numeric, 1)::text"
    elif kind == "number":
        template = "(%(expressions)s)::text"
    else:
        template = "cyf_csv_text((%(expressions)s)::text)"
    return _Text(value, template=f"NULLIF({template}, '')")


def copy_ok(rows: Any) -> bool:
    """The fast path serves querysets on PostgreSQL; everything else takes the Python path."""
    return isinstance(rows, QuerySet) and connection.vendor == "postgresql"


def copy_chunks(queryset: QuerySet, columns: list[Any], *, unmask: bool, counter: list[int]) -> Iterator[bytes]:
    """Yield the CSV body as the server writes it; counter[0] ends as the number of rows."""
    aliases = {f"_csv{i}": _expression(c.key, c.kind, unmask=unmask) for i, c in enumerate(columns)}
    qs = queryset.annotate(**aliases).values_list(*aliases)
    sql, params = qs.query.get_compiler(queryset.db).as_sql()
    # A savepoint around the COPY: when the client hangs up mid-stream psycopg aborts the COPY, and
    # rolling back to the savepoint leaves the connection (and any outer transaction) usable.
    with transaction.atomic(), connection.cursor() as cursor:
        # COPY takes no bind parameters: psycopg binds them client-side (properly quoted) first.
        statement = psycopg.ClientCursor(connection.connection).mogrify(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params)
        with cursor.copy(statement) as copy:
            # The server sends about one row per message; hand the response 64 KiB at a time.
            pending = bytearray()
            for data in copy:
                pending += data
                if len(pending) >= COPY_BUFFER_BYTES:
                    counter[0] += pending.count(b"\n")  # rows sent so far, if the client leaves early
                    yield bytes(pending)
                    pending.clear()
            if pending:
                yield bytes(pending)
        counter[0] = cursor.rowcount
