"""Settings for the test suite.

DATABASE_URL and REDIS_URL come from the environment when set (CI runs the suite a second time
against the machine's PostgreSQL and Redis); otherwise SQLite and an embedded Redis that
tests/conftest.py starts on a private socket.

Under pytest-xdist every worker process is a test run of its own: its own embedded Redis, or
its own db number of the given Redis (the URL's db plus the worker's number: the suite flushes
its db between tests); pytest-django gives each worker its own test database.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from config import env

# "gw0", "gw1"... in a pytest-xdist worker (processes the tests start never inherit it).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_WORKER = int(_XDIST_WORKER.removeprefix("gw") or 0)


def _worker_db(url: str) -> str:
    """`url` with its db number moved up by the xdist worker's number (in the path, or in
    `?db=` for a unix socket)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    unix = parts.scheme == "unix"
    db = int((query.get("db") if unix else parts.path.strip("/")) or 0)
    if db + _WORKER > 15:
        raise env.ConfigError(f"REDIS_URL: db {db} + test worker {_WORKER} is past Redis's 15")
    if unix:
        return f"unix://{parts.path}?{urlencode({**query, 'db': db + _WORKER})}"
    return parts._replace(path=f"/{db + _WORKER}").geturl()


if "REDIS_URL" not in os.environ or (
    _XDIST_WORKER and "PAPERBOY_TEST_EMBEDDED_REDIS" in os.environ
):
    # One embedded Redis per test process (an xdist worker inherits its parent's variables,
    # hence the second test), in a private directory so parallel runs never collide.
    _run_dir = Path(tempfile.mkdtemp(prefix="paperboy-test-"))
    os.environ["PAPERBOY_TEST_EMBEDDED_REDIS"] = str(_run_dir / "redis.sock")
    os.environ["REDIS_URL"] = f"unix://{_run_dir / 'redis.sock'}"
elif _WORKER:
    # Processes the tests start (workers, manage.py) inherit this worker's db.
    os.environ["REDIS_URL"] = _worker_db(os.environ["REDIS_URL"])

from config.settings.base import *  # noqa: E402, F403 - after the environment is set

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
