"""Every write of the housing app. Import from here: `from housing.services import bed_allocate`."""

from .allocation import (
    bed_allocate,
    lease_end,
    offer_accept,
    offer_close_and_refill,
    offer_decline,
    offer_expire,
    offer_make,
    offers_expire_overdue,
    room_allocate,
    room_type_fill_vacancies,
    vacancies_fill_all,
)
from .applications import (
    application_status_set,
    application_submit,
    application_waitlist_positions,
    application_withdraw,
)
from .eligibility import application_evaluate, eligibility_rules_ensure

__all__ = [
    "application_evaluate",
    "application_status_set",
    "application_submit",
    "application_waitlist_positions",
    "application_withdraw",
    "bed_allocate",
    "eligibility_rules_ensure",
    "lease_end",
    "offer_accept",
    "offer_close_and_refill",
    "offer_decline",
    "offer_expire",
    "offer_make",
    "offers_expire_overdue",
    "room_allocate",
    "room_type_fill_vacancies",
    "vacancies_fill_all",
]
