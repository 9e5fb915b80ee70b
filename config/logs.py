"""Logging for every process (web, worker, beat, gunicorn): one line per record, as text for
people or as JSON for a log collector (LOG_FORMAT), each carrying the request id when there is one.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

# The id of the request being handled in this thread or task ("-" outside a request).
request_id: ContextVar[str] = ContextVar("request_id", default="-")

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Field order of a JSON line; exceptions add `exc_info` (the formatted traceback).
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id, so a request's lines can be grouped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def formatter(log_format: str) -> dict[str, Any]:
    if log_format == "json":
        return {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": JSON_RENAMES,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    return {"format": TEXT_FORMAT}


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A dictConfig for Django's LOGGING setting and gunicorn's logconfig_dict."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
        "formatters": {"main": formatter(log_format)},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # gunicorn's own loggers propagate to the root handler instead of printing twice.
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True},
        },
    }
