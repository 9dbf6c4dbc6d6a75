"""Default permissions by role, so that no group has to be kept in sync by hand.

settings.ROLE_PERMISSIONS maps a role to {app_label or "app_label.model": actions}; actions are Django's
default view/add/change/delete on a model of the app; a model key wins over its app key. Anything else
(e.g. `export_personal_data`, `accounts.view_personal_data`) is granted explicitly per user or
group through Django's ModelBackend, never by role.
"""

from typing import Any

from django.apps import apps
from django.conf import settings

DEFAULT_ACTIONS = {"view", "add", "change", "delete"}


def _is_model(app_label: str, model_name: str) -> bool:
    try:
        apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return False
    return True


class RolePermissionBackend:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def _rules(self, user: Any) -> dict[str, set[str]]:
        if not user.is_active or not getattr(user, "is_staff", False):
            return {}
        return settings.ROLE_PERMISSIONS.get(getattr(user, "role", ""), {})

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        app_label, _dot, codename = perm.partition(".")
        action, _sep, model = codename.partition("_")
        if action not in DEFAULT_ACTIONS or not _is_model(app_label, model):
            return False  # e.g. accounts.view_personal_data: "view" + "personal_data" is no model
        rules = self._rules(user)
        allowed = rules.get(f"{app_label}.{model}", rules.get(app_label, set()))
        return action in allowed

    def has_module_perms(self, user: Any, app_label: str) -> bool:
        return any(key == app_label or key.startswith(f"{app_label}.") for key in self._rules(user))
