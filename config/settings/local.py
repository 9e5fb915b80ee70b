"""The quick start: SQLite, the embedded Redis and the local mail catcher (`make run`)."""

from __future__ import annotations

from config import env
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEBUG = env.get_bool("DEBUG", True)
# A fixed key is fine for a laptop demo; production refuses to start without its own.
SECRET_KEY = env.get_str("SECRET_KEY", "local-insecure-key-do-not-use-in-production")
MAIL_CATCHER_DIR = VAR_DIR / "mail"
