"""The admin login, with failed logins limited per (client address, username) and per address
(config/login_limits.py): a guesser is slowed, the owner is never locked out from elsewhere."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from config import login_limits

logger = logging.getLogger(__name__)


def admin_login(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    address = login_limits.client_address(request)
    username = str(request.POST.get("username", ""))
    refusal = _refusal(address, username)
    if refusal is not None:
        logger.warning("admin login refused for %s: %s", address, refusal.reason)
        return _refused(request, refusal)
    response = admin.site.login(request, **kwargs)
    # The admin redirects only after a successful login; anything else showed the form again.
    if not isinstance(response, HttpResponseRedirect):
        _record_failure(address, username)
    return response


def _refusal(address: str, username: str) -> login_limits.Refusal | None:
    try:
        return login_limits.refusal(address, username)
    except redis.RedisError as exc:
        # Open, not closed: the limits only slow guessing (the password still has to match),
        # and a Redis outage must not also lock the operator out of the admin.
        logger.error("admin login limits unavailable (Redis): %s", exc)
        return None


def _record_failure(address: str, username: str) -> None:
    try:
        login_limits.record_failure(address, username)
    except redis.RedisError as exc:
        logger.error("admin login failure not counted (Redis): %s", exc)


def _refused(request: HttpRequest, refusal: login_limits.Refusal) -> HttpResponse:
    minutes = max(1, -(-refusal.retry_after // 60))
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "reason": refusal.reason,
        "minutes": minutes,
    }
    response = TemplateResponse(request, "admin/login_throttled.html", context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response
