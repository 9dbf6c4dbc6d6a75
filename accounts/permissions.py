from typing import Any

from rest_framework.permissions import BasePermission

from .models import Role


class _RolePermission(BasePermission):
    roles: frozenset[str] = frozenset()

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role in self.roles)


class IsRider(_RolePermission):
    roles = frozenset({Role.RIDER})


class IsDispatcher(_RolePermission):
    roles = frozenset({Role.DISPATCHER})


class IsTeamMember(_RolePermission):
    roles = frozenset({Role.TEAM_MEMBER})


class IsStaff(_RolePermission):
    """Street or district staff."""

    roles = frozenset({Role.STREET_STAFF, Role.DISTRICT_STAFF})


class IsDistrictStaff(_RolePermission):
    roles = frozenset({Role.DISTRICT_STAFF})
