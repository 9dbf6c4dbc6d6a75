from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChaoyangFriendlyConfig(AppConfig):
    name = "chaoyang_friendly"
    verbose_name = _("友好朝阳")

    def ready(self) -> None:
        from . import admin_index  # noqa: F401  (connects the login receiver that remembers the street)
