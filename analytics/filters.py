"""Parsing the filters every export and chart accepts: date_from, date_to (YYYY-MM-DD, Asia/Shanghai) and
street (a street code). Street staff are always held to their own street."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import user_sees_all_streets, user_street_id
from jurisdictions.models import Street

MAX_RANGE_DAYS = 3660
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None
    date_to: dt.date | None
    street_id: int | None
    lang: str

    @property
    def start(self) -> dt.datetime | None:
        """Aware start of date_from in Asia/Shanghai."""
        return _aware(self.date_from) if self.date_from else None

    @property
    def end(self) -> dt.datetime | None:
        """Aware start of the day after date_to (exclusive bound)."""
        return _aware(self.date_to + dt.timedelta(days=1)) if self.date_to else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "street_id": self.street_id,
        }


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date_label(name: str) -> str:
    return _("开始日期") if name == "date_from" else _("结束日期")


def _parse_date(params: Any, name: str) -> dt.date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ApplicationError(
            _("%(label)s（%(name)s）必须是 YYYY-MM-DD 格式的日期。") % {"label": _date_label(name), "name": name}
        ) from None
    if not MIN_DATE <= day <= MAX_DATE:  # 9999-12-31 has no "day after" (Filters.end)
        raise ApplicationError(
            _("%(label)s（%(name)s）超出了可用的日期范围。") % {"label": _date_label(name), "name": name}
        )
    return day


def parse_filters(params: Any, user: Any) -> Filters:
    """Return the filters from query parameters; raise ApplicationError naming a bad parameter."""
    date_from = _parse_date(params, "date_from")
    date_to = _parse_date(params, "date_to")
    if date_from and date_to:
        if date_from > date_to:
            raise ApplicationError(_("开始日期（date_from）不能晚于结束日期（date_to）。"))
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise ApplicationError(_("日期范围过大，请缩短到十年以内。"))
    street_id = None
    code = (params.get("street") or "").strip()
    if code:
        street_id = Street.objects.filter(code=code.upper()).values_list("pk", flat=True).first()
        if street_id is None:
            raise ApplicationError(_("参数 street 不是有效的街道代码。"))
    if not user_sees_all_streets(user):
        own = user_street_id(user)
        if own is None:
            raise ApplicationError(_("您没有导出数据的权限。"))
        if street_id is not None and street_id != own:
            raise ApplicationError(_("街道工作人员只能导出本街道的数据。"))
        street_id = own
    lang = "en" if params.get("lang") == "en" else "zh"
    return Filters(date_from=date_from, date_to=date_to, street_id=street_id, lang=lang)
