"""gunicorn's logging: the same one-line text or JSON format as Django (config/logs.py), so the
access log and the application log are one stream a collector can parse. Everything else is
set on the command line in docker/start-web."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.getcwd())  # the project root: start-web runs from it

from config import env, logs

_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith("production")
logconfig_dict = logs.logging_config(
    env.get_choice("LOG_FORMAT", "json" if _production else "text", logs.LOG_FORMATS),
    env.get_str("LOG_LEVEL", "INFO"),
)
