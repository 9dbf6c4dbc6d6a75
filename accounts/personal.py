"""Who may see full personal fields (phone numbers) in the admin: a permission granted explicitly to a
user or a group (`accounts.view_personal_data`), never by role; everyone else sees masked numbers and can
search phones only by the exact number (a partial search would reveal the hidden digits one by one)."""

from typing import Any

from django.http import HttpRequest

PERSONAL_DATA_VIEW_PERM = "accounts.view_personal_data"


def user_may_view_personal_data(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(PERSONAL_DATA_VIEW_PERM))


class PersonalDataAdminMixin:
    """For admins that search on phone fields: exact match only without the permission."""

    def get_search_fields(self, request: HttpRequest) -> Any:
        fields = super().get_search_fields(request)  # type: ignore[misc]
        if user_may_view_personal_data(request.user):
            return fields
        return tuple(f"={f.lstrip('^=@')}" if f.lstrip("^=@").endswith("phone") else f for f in fields)
