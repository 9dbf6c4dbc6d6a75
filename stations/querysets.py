from datetime import datetime, timedelta

from django.db import models
from django.db.models import Exists, OuterRef

from chaoyang_friendly.scoping import StreetScopedQuerySet


class StationQuerySet(StreetScopedQuerySet):
    def active(self) -> "StationQuerySet":
        return self.filter(status="active")

    def with_all_amenities(self, codes: list[str]) -> "StationQuerySet":
        """Stations that have every amenity in `codes` (one EXISTS per amenity: no row multiplication)."""
        through = self.model.amenities.through
        qs = self
        for code in codes:
            qs = qs.filter(Exists(through.objects.filter(station_id=OuterRef("pk"), amenity__code=code)))
        return qs

    def unverified_since(self, cutoff: datetime) -> "StationQuerySet":
        return self.filter(models.Q(last_verified_at__isnull=True) | models.Q(last_verified_at__lt=cutoff))


class VisitQuerySet(StreetScopedQuerySet):
    street_lookup = "station__street"

    def recent_for(self, *, station_id: int, rider_id: int, now: datetime, minutes: int) -> "VisitQuerySet":
        return self.filter(station_id=station_id, created_at__gte=now - timedelta(minutes=minutes), rider_id=rider_id)


class FeedbackQuerySet(StreetScopedQuerySet):
    street_lookup = "station__street"


class StationEventQuerySet(StreetScopedQuerySet):
    street_lookup = "station__street"
