"""Settings of the analytics app (merged into chaoyang_friendly.settings; imports nothing from Django apps)."""

import os

# An export job still queued this long was lost by the broker (or never reached it): beat sends it again.
ANALYTICS_EXPORT_REQUEUE_AFTER_SECONDS = int(os.environ.get("ANALYTICS_EXPORT_REQUEUE_AFTER_SECONDS", "120"))

# Export-job files (they may hold full phone numbers) are deleted this many days after they were made.
ANALYTICS_EXPORT_RETENTION_DAYS = float(os.environ.get("ANALYTICS_EXPORT_RETENTION_DAYS", "7"))

CELERY_BEAT_SCHEDULE = {
    "analytics-export-jobs-requeue": {"task": "analytics.export_jobs_requeue", "schedule": 60.0},
    "analytics-export-files-remove": {"task": "analytics.export_files_remove", "schedule": 3600.0},
}
