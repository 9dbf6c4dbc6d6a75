from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """District analytics: exports and the dashboard. It reads every domain app (it sits on top of the
    dependency graph; no domain app imports it)."""

    name = "analytics"
    verbose_name = _("统计分析")

    def ready(self) -> None:
        from . import admin_actions, chartdefs, definitions  # noqa: F401 - registers exports and charts

        admin_actions.install()
