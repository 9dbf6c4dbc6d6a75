"""The two paths of the CSV mechanism — Python formatting and PostgreSQL COPY with SQL formatting —
write the same lines for every registered export that streams a queryset."""

import pytest
from django.db import connection

from analytics.filters import parse_filters
from analytics.registry import EXPORTS
from chaoyang_friendly.csvexport import csv_lines
from tests.analytics.test_housing_export import beds  # noqa: F401 - fixtures
from tests.analytics.test_partybranch_export import family_day  # noqa: F401
from tests.analytics.test_reports_export import known  # noqa: F401
from tests.analytics.test_stations_export import visits  # noqa: F401


def _both(name: str, user, *, unmask: bool) -> tuple[bytes, bytes, bool]:
    definition = EXPORTS[name]
    spec = definition.build(user=user, filters=parse_filters({}, user))
    fast = b"".join(c if isinstance(c, bytes) else c.encode() for c in csv_lines(spec, unmask=unmask))
    spec = definition.build(user=user, filters=parse_filters({}, user))
    slow = b"".join(c.encode() for c in csv_lines(spec, unmask=unmask, use_copy=False))
    from django.db.models import QuerySet

    return fast, slow, isinstance(spec.rows, QuerySet)


@pytest.mark.parametrize("unmask", [False, True])
def test_copy_and_python_paths_write_the_same_bytes(known, beds, family_day, visits, analyst, unmask):  # noqa: F811
    assert connection.vendor == "postgresql"
    copied = 0
    for name in sorted(EXPORTS):
        fast, slow, is_queryset = _both(name, analyst, unmask=unmask)
        # station-visits is deliberately unordered (10M rows, no sort), so compare the lines as sets
        assert fast.split(b"\n")[0] == slow.split(b"\n")[0], name
        assert sorted(fast.split(b"\n")) == sorted(slow.split(b"\n")), name
        assert fast.count(b"\n") >= 1
        copied += is_queryset
    assert copied >= 8  # most exports stream through COPY
