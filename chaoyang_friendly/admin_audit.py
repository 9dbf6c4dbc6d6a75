"""Hard delete of citizens' records (reports, leases, applications, registrations, volunteer hours):
district superusers only, and never without a trace (issue 14, finding 7).

Street staff change a status instead (reject a report, end a lease, reject an application, cancel a
registration, reject hours), which writes a timeline event. A superuser's delete, from the delete page or
the "delete selected" action, leaves Django's LogEntry (who, when, which object), a line on the
`chaoyang.audit` logger, and whatever `deletion_audit` adds in the app's own event table.
"""

import logging
from typing import Any

from django.db import models
from django.http import HttpRequest

logger = logging.getLogger("chaoyang.audit")


class SuperuserDeleteAdminMixin:
    """For a ModelAdmin: delete (page and action) only for superusers, audited before the rows go."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: models.QuerySet | list) -> Any:
        """Called by the delete page and the "delete selected" action just before the rows are deleted."""
        objects = list(queryset)
        entries = super().log_deletions(request, queryset)  # type: ignore[misc]  # LogEntry rows
        for obj in objects:
            logger.warning("hard delete of %s #%s by user #%s", obj._meta.label, obj.pk, request.user.pk)
        self.deletion_audit(request, objects)
        return entries

    def deletion_audit(self, request: HttpRequest, objects: list[Any]) -> None:
        """Write the app's own audit event for each object about to be deleted (one that outlives it)."""
