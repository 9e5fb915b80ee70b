"""Bounce and complaint webhooks.

- django-anymail's ESP tracking webhooks (emails/urls_anymail.py mounts them at
  /webhooks/anymail/<esp>/tracking/, each through `anymail_tracking_view`) check HTTP basic auth
  against ANYMAIL["WEBHOOK_SECRET"] and send the normalised `tracking` signal, handled by
  `on_tracking`. Without the secret they answer 404, as does an ESP whose own key or package
  is missing; a malformed body that passed authentication gets 400, never 500.
- A generic JSON endpoint for relays without an Anymail integration, authenticated by an
  HMAC-SHA256 of "<timestamp>.<body>" with DELIVERY_WEBHOOK_SECRET; a timestamp outside
  DELIVERY_WEBHOOK_MAX_SKEW seconds is refused as a replay, and an event id already seen
  (unique in DeliveryEvent) changes nothing, so a replay inside the window cannot count one
  soft bounce twice. Bodies over DELIVERY_WEBHOOK_MAX_BYTES are refused (413) unread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from emails import conf
from emails.models import DeliveryEvent
from emails.services.suppression import record_delivery_event

logger = logging.getLogger(__name__)

GENERIC_KINDS = {
    "hard_bounce": DeliveryEvent.Kind.HARD_BOUNCE,
    "soft_bounce": DeliveryEvent.Kind.SOFT_BOUNCE,
    "complaint": DeliveryEvent.Kind.COMPLAINT,
}


def anymail_kind(event: Any) -> str | None:
    """Our kind for an Anymail tracking event, or None for events that change nothing."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if event.event_type == "complained":
        return DeliveryEvent.Kind.COMPLAINT
    if event.event_type == "deferred" or raw.get("Type") == "SoftBounce":
        return DeliveryEvent.Kind.SOFT_BOUNCE
    if event.event_type == "bounced":
        return DeliveryEvent.Kind.HARD_BOUNCE
    return None


def anymail_secret() -> str:
    return str(getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET") or "")


def on_tracking(sender: object, event: Any, esp_name: str, **kwargs: object) -> None:
    # Unreachable through our URLs without a secret (they answer 404); kept for any other route.
    if not anymail_secret():
        logger.warning(
            "ignored an unauthenticated %s webhook: ANYMAIL_WEBHOOK_SECRET unset", esp_name
        )
        return
    kind = anymail_kind(event)
    if kind is None or not event.recipient:
        return
    event_id = event.event_id or f"{event.message_id}:{event.event_type}:{event.timestamp}"
    detail = event.description or event.mta_response or event.reject_reason or ""
    esp = esp_name.lower()
    record_delivery_event(
        event.recipient, kind, f"{esp}:{event_id}", source=esp, detail=str(detail)
    )


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def bounce_webhook(request: HttpRequest) -> JsonResponse:
    """POST {"id", "email", "type": hard_bounce|soft_bounce|complaint, "detail"?} with headers
    X-Paperboy-Timestamp (Unix seconds) and X-Paperboy-Signature (hex HMAC-SHA256)."""
    secret = conf.webhook_secret()
    if not secret:
        return _error("this webhook is not configured", 404)
    # Checked before the body is read: an oversized POST costs no memory and no HMAC.
    if int(request.META.get("CONTENT_LENGTH") or 0) > conf.webhook_max_bytes():
        return _error(f"body over {conf.webhook_max_bytes()} bytes", 413)
    timestamp = request.headers.get("X-Paperboy-Timestamp", "")
    signature = request.headers.get("X-Paperboy-Signature", "")
    if not timestamp or not signature:
        return _error("unsigned request", 403)
    expected = signature_for(secret, timestamp, request.body)
    if not hmac.compare_digest(expected, signature):
        return _error("bad signature", 403)
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > conf.webhook_max_skew():
        return _error("stale timestamp", 403)
    try:
        payload = json.loads(request.body)
        email, kind, event_id = payload["email"], GENERIC_KINDS[payload["type"]], payload["id"]
        if not isinstance(email, str) or "@" not in email or not str(event_id):
            raise ValueError("email and id required")
    except RecursionError:
        # [[[[... a few thousand deep exhausts the parser's recursion limit well inside the
        # size limit; it is refused like any other bad body.
        return _error("JSON nested too deeply", 400)
    except (ValueError, KeyError, TypeError) as exc:
        return _error(f"bad payload: {exc!r}", 400)
    created = record_delivery_event(
        email, kind, f"generic:{event_id}", source="webhook", detail=str(payload.get("detail", ""))
    )
    return JsonResponse({"recorded": created})


class MalformedWebhookError(Exception):
    """An authenticated ESP webhook body its parser could not read."""


# What Anymail's parsers raise on a body that is not the ESP's format: bad JSON or UTF-8
# (ValueError), missing keys (LookupError), wrong types (TypeError, AttributeError), deep nesting.
_PARSE_ERRORS = (ValueError, LookupError, TypeError, AttributeError, RecursionError)


def _parse_guarded(view_class: type[Any]) -> type[Any]:
    """`view_class` whose parse_events turns a parser crash into MalformedWebhookError. Only the
    parsing: an error in our signal handler still answers 500, so the ESP retries it."""

    def parse_events(self: Any, request: HttpRequest) -> list[Any]:
        try:
            return list(view_class.parse_events(self, request))
        except _PARSE_ERRORS as exc:
            raise MalformedWebhookError(
                f"malformed {self.esp_name} payload ({type(exc).__name__})"
            ) from exc

    return type(view_class.__name__, (view_class,), {"parse_events": parse_events})


def anymail_tracking_view(view_class: type[Any]) -> Callable[..., HttpResponse]:
    """Anymail's tracking view for one ESP, answering 404 while ANYMAIL_WEBHOOK_SECRET is unset
    (unauthenticated events must never reach it) or while the ESP's own key or package is
    missing, and 400 for a body it cannot parse."""
    handler = _parse_guarded(view_class).as_view()

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not anymail_secret():
            return _error("this webhook is not configured", 404)
        try:
            return handler(request, *args, **kwargs)
        except AnymailConfigurationError as exc:
            # Settings, not the request: the operator needs to see it, the caller does not.
            logger.warning("%s webhook not configured: %s", view_class.__name__, _first_line(exc))
            return _error("this webhook is not configured", 404)
        except MalformedWebhookError as exc:
            return _error(str(exc), 400)

    return view


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
