"""Project-wide middleware: health endpoint, request ids, early refusal of oversized bodies."""

from __future__ import annotations

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
