"""The generic bounce webhook under abuse: oversized, unsigned and replayed requests."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.models import DeliveryEvent, Suppression
from emails.webhooks import signature_for

pytestmark = pytest.mark.django_db
URL = "/webhooks/bounces/"
SECRET = "generic-secret"


@pytest.fixture(autouse=True)
def _secret(settings: SettingsWrapper) -> None:
    settings.DELIVERY_WEBHOOK_SECRET = SECRET
    settings.SOFT_BOUNCE_THRESHOLD = 3


def post(client: Client, body: bytes, **headers: str) -> tuple[int, dict[str, object]]:
    response = client.post(URL, body, content_type="application/json", **headers)
    return response.status_code, response.json()


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "HTTP_X_PAPERBOY_TIMESTAMP": stamp,
        "HTTP_X_PAPERBOY_SIGNATURE": signature_for(SECRET, stamp, body),
    }


def test_an_oversized_body_gets_413_even_when_signed(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.DELIVERY_WEBHOOK_MAX_BYTES = 1000
    payload = {"id": "e1", "email": "x@example.org", "type": "complaint", "detail": "y" * 2000}
    body = json.dumps(payload).encode()
    assert post(client, body, **signed(body)) == (413, {"error": "body over 1000 bytes"})
    assert not DeliveryEvent.objects.exists()


def test_an_unsigned_request_is_refused(client: Client) -> None:
    body = json.dumps({"id": "e1", "email": "x@example.org", "type": "complaint"}).encode()
    assert post(client, body) == (403, {"error": "unsigned request"})
    assert not Suppression.objects.exists()


def test_a_replayed_soft_bounce_counts_once(client: Client) -> None:
    # Replaying one signed soft bounce inside the time window must not reach the threshold.
    body = json.dumps({"id": "sb-1", "email": "x@example.org", "type": "soft_bounce"}).encode()
    headers = signed(body)
    results = [post(client, body, **headers) for _ in range(5)]
    assert results == [(200, {"recorded": True})] + [(200, {"recorded": False})] * 4
    assert DeliveryEvent.objects.count() == 1
    assert not Suppression.objects.exists()


def test_a_replayed_body_with_a_fresh_timestamp_needs_the_secret(client: Client) -> None:
    body = json.dumps({"id": "sb-2", "email": "x@example.org", "type": "hard_bounce"}).encode()
    old = str(int(time.time()) - 3600)
    old_signature = signature_for(SECRET, old, body)
    status, answer = post(
        client,
        body,
        HTTP_X_PAPERBOY_TIMESTAMP=str(int(time.time())),
        HTTP_X_PAPERBOY_SIGNATURE=old_signature,
    )
    assert (status, answer) == (403, {"error": "bad signature"})
    assert not DeliveryEvent.objects.exists()


def test_a_signed_deeply_nested_body_is_a_400(client: Client) -> None:
    body = b"[" * 30_000 + b"]" * 30_000
    assert post(client, body, **signed(body)) == (400, {"error": "JSON nested too deeply"})
    assert not DeliveryEvent.objects.exists()
