"""Settings for real Celery workers started by the fault tests (tests/emails/faults.py).

The test settings, but tasks go through the broker, mail goes to the test's SMTP server, and
the knobs that make a fault test take seconds instead of minutes come from the environment.
"""

from __future__ import annotations

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import CACHES

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("FAULT_SMTP_PORT", "25"))
EMAIL_TIMEOUT = 10
# The test process and its workers share rate-limit keys.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("FAULT_KEY_PREFIX", "paperboy-faults")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 5}
EMAIL_RATE_PER_SECOND = float(os.environ.get("FAULT_RATE", "50"))
# A dead worker's digests are free again after the lease, queued work is taken for lost after
# the queue timeout; a test may ask for production's values through the environment.
SEND_LEASE_SECONDS = float(os.environ.get("FAULT_LEASE", "5"))
SEND_QUEUE_TIMEOUT = float(os.environ.get("FAULT_QUEUE_TIMEOUT", "3"))
SEND_RETRY_SOON = float(os.environ.get("FAULT_RETRY_SOON", "0.2"))
SEND_RETRY_BACKOFF = float(os.environ.get("FAULT_RETRY_BACKOFF", "0.5"))
SEND_RETRY_MAX_WAIT = float(os.environ.get("FAULT_RETRY_MAX_WAIT", "2"))
SEND_MAX_RETRIES = 8
DELIVERY_CHUNK_SIZE = int(os.environ.get("FAULT_CHUNK_SIZE", "20"))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # Several worker processes write one SQLite file: wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        {"timeout": 60, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
