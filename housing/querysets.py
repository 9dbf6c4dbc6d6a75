"""Chainable one-model filters for housing. Street scoping goes through the project."""

from typing import Any

from django.db.models import Q
from django.utils import timezone

from chaoyang_friendly.scoping import StreetScopedQuerySet


class ProjectQuerySet(StreetScopedQuerySet):
    street_lookup = "street"

    def listed(self) -> "ProjectQuerySet":
        return self.filter(status="open")


class RoomTypeQuerySet(StreetScopedQuerySet):
    street_lookup = "project__street"


class RoomQuerySet(StreetScopedQuerySet):
    street_lookup = "room_type__project__street"


class BedQuerySet(StreetScopedQuerySet):
    street_lookup = "room__room_type__project__street"

    def available(self) -> "BedQuerySet":
        return self.filter(status="available")


class EligibilityRuleQuerySet(StreetScopedQuerySet):
    street_lookup = "street"

    def applying_to(self, street_id: int | None) -> "EligibilityRuleQuerySet":
        """Active district-wide rules plus the active rules of `street_id`."""
        return self.filter(Q(street__isnull=True) | Q(street_id=street_id), active=True)


class ApplicationQuerySet(StreetScopedQuerySet):
    street_lookup = "project__street"

    def open(self) -> "ApplicationQuerySet":
        return self.filter(status__in=("submitted", "eligible", "waitlisted", "offered"))

    def waiting(self) -> "ApplicationQuerySet":
        return self.filter(status="waitlisted")

    def in_queue_order(self) -> "ApplicationQuerySet":
        """Priority first (higher wins), then who applied first."""
        return self.order_by("-priority", "created_at", "id")

    def of_rider(self, user: Any) -> "ApplicationQuerySet":
        return self.filter(rider=user) if getattr(user, "is_authenticated", False) else self.none()


class OfferQuerySet(StreetScopedQuerySet):
    street_lookup = "application__project__street"

    def open(self) -> "OfferQuerySet":
        return self.filter(status="open")

    def overdue(self, now: Any = None) -> "OfferQuerySet":
        return self.open().filter(deadline__lt=now or timezone.now())


class LeaseQuerySet(StreetScopedQuerySet):
    street_lookup = "project__street"

    def active(self) -> "LeaseQuerySet":
        return self.filter(status="active")


__all__ = [
    "ApplicationQuerySet",
    "BedQuerySet",
    "EligibilityRuleQuerySet",
    "LeaseQuerySet",
    "OfferQuerySet",
    "ProjectQuerySet",
    "RoomQuerySet",
    "RoomTypeQuerySet",
]
