"""Settings of the fault benchmark's workers and beat (bench/faults.py): production's, with
beat's ingestion and encoder entries left out.

Production settings, so claim timeouts, retries, the recovery sweep's schedule and the Celery
options are what a deployment runs; the hosts and secrets come from the environment that
bench/faults.py sets. The `ranking.` beat entries would fetch from arXiv and fit encoders in
the middle of a measured night; every delivery entry (and any added later) is kept.
"""

from __future__ import annotations

from config.settings.production import *  # noqa: F403
from config.settings.production import CELERY_BEAT_SCHEDULE as PRODUCTION_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in PRODUCTION_SCHEDULE.items()
    if not str(entry["task"]).startswith("ranking.")
}
