"""Bounce and complaint webhooks.

- django-anymail's ESP tracking webhooks (mounted at /webhooks/anymail/<esp>/tracking/) check
  HTTP basic auth against ANYMAIL["WEBHOOK_SECRET"] and send the normalised `tracking` signal,
  handled by `on_tracking`. Without a secret every event is ignored (logged): unauthenticated
  events never suppress anyone.
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
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
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


def on_tracking(sender: object, event: Any, esp_name: str, **kwargs: object) -> None:
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
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
    except (ValueError, KeyError, TypeError) as exc:
        return _error(f"bad payload: {exc!r}", 400)
    created = record_delivery_event(
        email, kind, f"generic:{event_id}", source="webhook", detail=str(payload.get("detail", ""))
    )
    return JsonResponse({"recorded": created})
