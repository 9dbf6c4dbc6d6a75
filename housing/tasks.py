"""Celery tasks of the housing app: thin, idempotent, ids only."""

from typing import Any

from celery import shared_task

from .services import offers_expire_overdue, vacancies_fill_all


@shared_task(bind=True, acks_late=True, name="housing.offers_expire", max_retries=3)
def offers_expire_task(self: Any) -> int:
    """Expire overdue offers and move each bed to the next applicant (beat, every 5 minutes).

    Safe to run twice: each offer is claimed under a row lock and only an open, overdue offer changes.
    """
    try:
        return offers_expire_overdue()
    except Exception as exc:  # retry with backoff and jitter; the database row stays the truth
        import random

        raise self.retry(exc=exc, countdown=30 * (2**self.request.retries) + random.randint(0, 10)) from exc


@shared_task(bind=True, acks_late=True, name="housing.vacancies_fill", max_retries=3)
def vacancies_fill_task(self: Any) -> int:
    """Offer free beds that no event has offered yet (beat, every 10 minutes). Safe to run twice."""
    try:
        return vacancies_fill_all()
    except Exception as exc:
        import random

        raise self.retry(exc=exc, countdown=30 * (2**self.request.retries) + random.randint(0, 10)) from exc
