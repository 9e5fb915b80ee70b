"""Typed settings-from-environment helpers.

Every value comes from the environment (or from a file named by `<NAME>_FILE`, for container
secrets). A bad value raises `ConfigError` whose message names the variable, so `manage.py`
can print one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A setting from the environment is missing or malformed."""


_UNSET: Any = object()
_env = environ.Env()
DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}
REDIS_SCHEMES = {"redis", "rediss", "unix"}


def get_str(name: str, default: str | None = _UNSET) -> str:
    """Return `name` from the environment, or the contents of the file `<name>_FILE` names."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
    value = os.environ.get(name)
    if default is _UNSET or default is None:
        # A required value that is set but empty is as missing as an unset one.
        if not value:
            raise ConfigError(f"{name} is not set (set {name} or {name}_FILE in the environment)")
        return value
    return default if value is None else value


def get_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def get_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None


def get_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None


def get_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_database(name: str, default: str) -> dict[str, Any]:
    """Parse a database URL (`postgres://user@host:5432/db`, `sqlite:////abs/path.sqlite3`)."""
    url = get_str(name, default)
    scheme = urlsplit(url).scheme
    if scheme not in DB_SCHEMES:
        raise ConfigError(
            f"{name}: unsupported or malformed URL {_redact(url)!r} "
            "(expected postgres://user:password@host:5432/name or sqlite:////path/to/file)"
        )
    try:
        config = _env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ConfigError(f"{name}: cannot parse {_redact(url)!r}: {exc}") from exc
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigError(f"{name}: no database name in {_redact(url)!r}")
    config.setdefault("CONN_MAX_AGE", 60 if scheme != "sqlite" else 0)
    config["CONN_HEALTH_CHECKS"] = scheme != "sqlite"
    return config


def get_redis_url(name: str, default: str) -> str:
    url = get_str(name, default)
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES or not (parts.hostname or parts.path):
        raise ConfigError(
            f"{name}: malformed URL {_redact(url)!r} "
            "(expected redis://host:6379/0 or unix:///path/to/redis.sock)"
        )
    return url


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a unix-socket Redis as `redis+socket://`; redis-py spells it `unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def get_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = get_str(name, default)
    if value not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def get_rate(name: str, default: str) -> str:
    """A django-ratelimit rate: a count per period, e.g. `10/m` or `100/h` (s, m, h, d)."""
    value = get_str(name, default)
    if not re.fullmatch(r"\d+/\d*[smhd]", value):
        raise ConfigError(f"{name}: expected a rate like 10/m or 100/h, got {value!r}")
    return value


def get_url_prefix(name: str, default: str) -> str:
    """A URL path prefix like `admin/` or `ops/admin-7f3a/` (no leading slash, one trailing)."""
    value = get_str(name, default)
    if not re.fullmatch(r"([A-Za-z0-9._~-]+/)+", value):
        raise ConfigError(f"{name}: expected a path like admin/ (no leading slash), got {value!r}")
    return value
