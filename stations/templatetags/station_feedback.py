"""{% rider_feedback station user as mine %}: a rider's own feedback on a station, with its status and the
street's reply, for the station page (the rider sees what became of it)."""

from typing import Any

from django import template

from stations.models import Feedback

register = template.Library()

SHOWN = 5


@register.simple_tag
def rider_feedback(station: Any, user: Any) -> list[Feedback]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Feedback.objects.filter(station_id=station.pk, rider_id=user.pk)
        .only("id", "created_at", "kind", "comment", "status", "reply", "replied_at")
        .order_by("-created_at")[:SHOWN]
    )
