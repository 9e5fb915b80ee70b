"""The admin login, throttled: password guessing is counted per client address and per
username in the shared cache (Redis), so it is throttled across every web process."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def _over(request: HttpRequest, group: str, key: Any, rate: str) -> bool:
    return bool(is_ratelimited(request, group=group, key=key, rate=rate, increment=True))


def login_throttled(request: HttpRequest) -> bool:
    """Count this login attempt; True once the address or the username is over its limit."""
    username = request.POST.get("username", "")[:150].strip().lower()
    digest = hashlib.sha256(username.encode()).hexdigest()
    by_ip = _over(request, "admin.login.ip", "ip", settings.ADMIN_LOGIN_RATE_PER_IP)
    by_user = _over(
        request, "admin.login.user", lambda _g, _r: digest, settings.ADMIN_LOGIN_RATE_PER_USER
    )
    return by_ip or by_user


def admin_login(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if request.method == "POST" and login_throttled(request):
        logger.warning("admin login throttled (too many attempts)")
        context = {**admin.site.each_context(request), "title": "Too many login attempts"}
        response = TemplateResponse(request, "admin/login_throttled.html", context, status=429)
        response["Retry-After"] = "60"
        return response
    return admin.site.login(request, **kwargs)
