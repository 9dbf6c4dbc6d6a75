"""SQL expressions shared by the export definitions."""

from typing import Any

from django.db.models import Aggregate, Case, CharField, Value, When


class Concat(Aggregate):
    """Join strings of a group with "、" on PostgreSQL (STRING_AGG) and SpatiaLite (GROUP_CONCAT)."""

    function = "STRING_AGG"
    template = "%(function)s(%(distinct)s%(expressions)s, '、')"
    allow_distinct = True
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite's GROUP_CONCAT(DISTINCT x) takes no separator argument; keep the separator, drop DISTINCT.
        return super().as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s, '、')", **extra
        )


def choice_label(field: str, choices: list[tuple[str, str]]) -> Case:
    """The translated label of a choice, computed in SQL so rows stay plain values() dicts."""
    return Case(*[When(**{field: value}, then=Value(str(label))) for value, label in choices], output_field=CharField())
