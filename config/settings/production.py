"""Production: every secret and host comes from the environment, or the process refuses to start."""

from __future__ import annotations

from config import env, logs
from config.settings.base import *  # noqa: F403
from config.settings.base import LOG_LEVEL

DEBUG = False
SECRET_KEY = env.get_str("SECRET_KEY")
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise env.ConfigError("ALLOWED_HOSTS is not set (a comma-separated list of host names)")
SITE_URL = env.get_str("SITE_URL").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])
# No default: base's paperboy@localhost would be rejected or junked by every receiver, and the
# site's own domain is the operator's to name. `check --deploy` warns when it is not SITE_URL's
# (emails/checks.py).
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_SECURE = env.get_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env.get_bool("CSRF_COOKIE_SECURE", True)
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
# HSTS: a year, subdomains included, preload allowed (submitting to the preload list stays the
# operator's choice). Lower SECURE_HSTS_SECONDS while first trying HTTPS on a new host.
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
if _proxy_header := env.get_str("SECURE_PROXY_SSL_HEADER", ""):
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")

# JSON logs by default: one object per line with time, level, logger, message, request_id and,
# for errors, the traceback (LOG_FORMAT=text for people reading a terminal).
LOG_FORMAT = env.get_choice("LOG_FORMAT", "json", logs.LOG_FORMATS)
LOGGING = logs.logging_config(LOG_FORMAT, LOG_LEVEL)
