"""Project-wide middleware: health endpoint, request ids, a Permissions-Policy header, early
refusal of oversized bodies and of form bodies in a charset other than UTF-8."""

from __future__ import annotations

import codecs
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from config import logs
from config.health import healthz

View = Callable[[HttpRequest], HttpResponse]
# A request id from the proxy is kept only when it looks like one (it ends up in every log line).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Browser features no page of ours uses, denied to every origin (ours included), so injected or
# framed content cannot ask for them either. interest-cohort (FLoC) is retired, but older
# Chromium still reads it; browsers ignore names they do not know.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def health_check_middleware(get_response: View) -> View:
    """Answers /healthz first: before host validation and the HTTPS redirect, so a container
    HEALTHCHECK on http://127.0.0.1 works whatever ALLOWED_HOSTS and SECURE_SSL_REDIRECT say."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return get_response(request)

    return middleware


def request_id_middleware(get_response: View) -> View:
    """Tags every log line of a request with one id (the proxy's X-Request-ID or a new one)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        try:
            response = get_response(request)
        finally:
            logs.request_id.reset(token)
        response["X-Request-ID"] = rid
        return response

    return middleware


def permissions_policy_middleware(get_response: View) -> View:
    """Adds PERMISSIONS_POLICY to every response (Django has no setting for it)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


def body_size_limit_middleware(get_response: View) -> View:
    """Refuses a body whose declared length is over DATA_UPLOAD_MAX_MEMORY_SIZE with 413,
    before anything reads it (Django itself would read up to the limit and answer 400)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        if not raw.isdigit():
            return JsonResponse({"error": "bad Content-Length"}, status=400)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and int(raw) > limit:
            return JsonResponse({"error": f"request body over {limit} bytes"}, status=413)
        return get_response(request)

    return middleware


def form_charset_middleware(get_response: View) -> View:
    """Refuses a form body declared in a charset other than UTF-8 (or its subset ASCII) with a
    one-line 400, before anything reads request.POST: Django decodes form bodies as UTF-8 only,
    and an unknown charset name would otherwise be ignored silently."""

    def middleware(request: HttpRequest) -> HttpResponse:
        charset = request.content_params.get("charset") if request.content_params else None
        if charset is None or request.content_type not in FORM_TYPES:
            return get_response(request)
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            return JsonResponse({"error": f"unknown charset {charset[:40]!r}"}, status=400)
        if codec not in {"utf-8", "ascii"}:
            return JsonResponse(
                {"error": f"form bodies must be UTF-8, not {charset[:40]}"}, status=400
            )
        # Django accepts only the exact name "utf-8" (a "utf8" or "ascii" form would be refused).
        request.encoding = "utf-8"
        return get_response(request)

    return middleware
