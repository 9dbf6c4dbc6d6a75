"""Settings of the partybranch app (merged into chaoyang_friendly.settings; imports nothing from Django apps)."""

import os

# At most this many people (the rider included) on one registration.
PARTYBRANCH_MAX_FAMILY_SIZE = int(os.environ.get("PARTYBRANCH_MAX_FAMILY_SIZE", "6"))
# Volunteer-hour milestones shown to riders (hours).
PARTYBRANCH_HOUR_MILESTONES = (100, 300, 600, 1000, 1500)
# A self-declared stretch of service may not be longer than this (hours).
PARTYBRANCH_MAX_DECLARED_HOURS = 12
# "Near me": activities within this distance (metres) when a position is given.
PARTYBRANCH_NEAR_METRES = int(os.environ.get("PARTYBRANCH_NEAR_METRES", "5000"))
# Staff may scan a family in from this many hours before a session starts until as long after it ends.
PARTYBRANCH_CHECKIN_WINDOW_HOURS = 2
