from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartybranchConfig(AppConfig):
    name = "partybranch"
    verbose_name = _("党建活动")
