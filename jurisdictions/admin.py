from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from .models import Street


@admin.register(Street)
class StreetAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    ordering = ("code",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_superuser
