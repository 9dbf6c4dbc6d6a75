"""Settings of the stations app (merged into Django settings; see chaoyang_friendly/settings.py)."""

import os

# How far an e-bike gets in 15 minutes: the radius of the "15-minute friendly service circle".
COVERAGE_DISTANCE_M = int(os.environ.get("COVERAGE_DISTANCE_M", "3000"))
# A second check-in at the same station within this many minutes returns the first visit.
STATIONS_CHECKIN_DEDUPE_MINUTES = int(os.environ.get("STATIONS_CHECKIN_DEDUPE_MINUTES", "30"))
# "Closes soon" when the station closes within this many minutes.
STATIONS_CLOSES_SOON_MINUTES = int(os.environ.get("STATIONS_CLOSES_SOON_MINUTES", "30"))
# Stations not verified for longer than this are flagged in the admin.
STATIONS_VERIFY_MAX_AGE_DAYS = int(os.environ.get("STATIONS_VERIFY_MAX_AGE_DAYS", "90"))
# Seconds the per-street coverage figures stay cached.
STATIONS_COVERAGE_CACHE_SECONDS = int(os.environ.get("STATIONS_COVERAGE_CACHE_SECONDS", "600"))
