"""Settings of the housing app (merged into settings by chaoyang_friendly.settings)."""

import os

# How long a rider has to answer a bed offer, in hours.
HOUSING_OFFER_HOURS = int(os.environ.get("HOUSING_OFFER_HOURS", "48"))
# Rent filter bounds accepted by the API (CNY per month); values outside are a 400, not an empty list.
HOUSING_RENT_FILTER_MIN = 1
HOUSING_RENT_FILTER_MAX = 100_000

CELERY_BEAT_SCHEDULE = {
    "housing-offers-expire": {
        "task": "housing.offers_expire",
        "schedule": 300.0,  # every 5 minutes: expired offers move the waitlist on
    },
    "housing-vacancies-fill": {
        "task": "housing.vacancies_fill",
        "schedule": 600.0,  # every 10 minutes: beds freed outside the services (admin edits) get offered
    },
}
