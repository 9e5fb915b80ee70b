"""Settings for the test suite.

DATABASE_URL and REDIS_URL come from the environment when set (CI runs the suite a second time
against the machine's PostgreSQL and Redis); otherwise SQLite and an embedded Redis that
tests/conftest.py starts on a private socket.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from config import env

if "REDIS_URL" not in os.environ:
    # One embedded Redis per test run, in a private directory so parallel runs never collide.
    _run_dir = Path(tempfile.mkdtemp(prefix="paperboy-test-"))
    os.environ["PAPERBOY_TEST_EMBEDDED_REDIS"] = str(_run_dir / "redis.sock")
    os.environ["REDIS_URL"] = f"unix://{_run_dir / 'redis.sock'}"

from config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SITE_URL = "http://testserver"
ALLOWED_HOSTS = ["*"]
# Each run namespaces its cache keys, so two runs sharing one Redis db never see each other.
CACHES["default"]["KEY_PREFIX"] = f"paperboy-test-{os.getpid()}"  # noqa: F405
_ = env  # keep the import: settings must fail the same way in tests as elsewhere
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="paperboy-static-"))
# Never the developer's var/: an encoder fitted on a test catalogue must not leak into `make run`.
# A test that runs manage.py in a subprocess names the directory the two processes share.
RANKING_MODEL_DIR = Path(
    os.environ.get("PAPERBOY_TEST_MODEL_DIR") or tempfile.mkdtemp(prefix="paperboy-models-")
)
WHITENOISE_USE_FINDERS = True
