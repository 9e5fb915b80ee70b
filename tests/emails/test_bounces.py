"""Bounce and complaint webhooks: Anymail's (Postmark format) and the generic HMAC one."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.models import DeliveryEvent, Suppression
from emails.webhooks import signature_for

pytestmark = pytest.mark.django_db
POSTMARK = "/webhooks/anymail/postmark/tracking/"
GENERIC = "/webhooks/bounces/"
SECRET = "hook-user:hook-password"


@pytest.fixture
def anymail_secret(settings: SettingsWrapper) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def postmark(client: Client, payload: dict[str, object], auth: str = SECRET) -> int:
    header = "Basic " + base64.b64encode(auth.encode()).decode()
    response = client.post(
        POSTMARK, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    return response.status_code


def bounce(kind: str, n: int = 1, email: str = "gone@example.org") -> dict[str, object]:
    return {
        "RecordType": "Bounce", "Type": kind, "TypeCode": 1, "ID": 4000 + n,
        "MessageID": f"msg-{n}", "Email": email, "BouncedAt": "2026-11-26T07:00:00Z",
        "Description": f"{kind} number {n}", "Details": "smtp; 550 5.1.1 user unknown",
    }  # fmt: skip


def test_a_hard_bounce_suppresses_at_once(client: Client, anymail_secret: None) -> None:
    assert postmark(client, bounce("HardBounce")) == 200
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("gone@example.org", "hard_bounce")
    assert DeliveryEvent.objects.get().event_id == "postmark:4001"


def test_a_complaint_suppresses_at_once(client: Client, anymail_secret: None) -> None:
    payload = {
        "RecordType": "SpamComplaint", "Type": "SpamComplaint", "ID": 77, "MessageID": "m",
        "Email": "Angry@Example.org", "BouncedAt": "2026-11-26T07:00:00Z",
    }  # fmt: skip
    assert postmark(client, payload) == 200
    assert Suppression.objects.get().email == "angry@example.org"
    assert Suppression.objects.get().reason == "complaint"


def test_soft_bounces_suppress_after_the_threshold(
    client: Client, anymail_secret: None, settings: SettingsWrapper
) -> None:
    settings.SOFT_BOUNCE_THRESHOLD = 3
    for n in (1, 2):
        postmark(client, bounce("SoftBounce", n))
    assert not Suppression.objects.exists()
    postmark(client, bounce("SoftBounce", 2))  # a replay counts once
    assert not Suppression.objects.exists()
    postmark(client, bounce("SoftBounce", 3))
    assert Suppression.objects.get().reason == "soft_bounces"


def test_old_soft_bounces_fall_out_of_the_window(
    client: Client, anymail_secret: None, settings: SettingsWrapper
) -> None:
    settings.SOFT_BOUNCE_THRESHOLD = 2
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        postmark(client, bounce("SoftBounce", 1))
    postmark(client, bounce("SoftBounce", 2))
    assert not Suppression.objects.exists()


def test_a_wrong_password_is_refused_and_records_nothing(
    client: Client, anymail_secret: None
) -> None:
    assert postmark(client, bounce("HardBounce"), auth="hook-user:wrong") == 400
    assert not DeliveryEvent.objects.exists()


def test_without_a_secret_anymail_endpoints_are_404_and_change_nothing(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    assert postmark(client, bounce("HardBounce"), auth="") == 404
    assert not Suppression.objects.exists()


@pytest.fixture
def generic_secret(settings: SettingsWrapper) -> str:
    settings.DELIVERY_WEBHOOK_SECRET = "generic-secret"
    return "generic-secret"


def signed_post(
    client: Client, secret: str, payload: object, at: int | None = None, sign: str | None = None
) -> tuple[int, dict[str, object]]:
    body = json.dumps(payload).encode()
    stamp = str(at if at is not None else int(time.time()))
    response = client.post(
        GENERIC,
        body,
        content_type="application/json",
        HTTP_X_PAPERBOY_TIMESTAMP=stamp,
        HTTP_X_PAPERBOY_SIGNATURE=sign or signature_for(secret, stamp, body),
    )
    return response.status_code, response.json()


def test_the_generic_webhook_records_a_signed_hard_bounce(
    client: Client, generic_secret: str
) -> None:
    payload = {"id": "e1", "email": "x@example.org", "type": "hard_bounce", "detail": "550"}
    assert signed_post(client, generic_secret, payload) == (200, {"recorded": True})
    assert signed_post(client, generic_secret, payload) == (200, {"recorded": False})
    assert Suppression.objects.get().email == "x@example.org"


def test_the_generic_webhook_refuses_a_bad_signature(client: Client, generic_secret: str) -> None:
    payload = {"id": "e1", "email": "x@example.org", "type": "complaint"}
    status, body = signed_post(client, generic_secret, payload, sign="0" * 64)
    assert (status, body) == (403, {"error": "bad signature"})
    assert not DeliveryEvent.objects.exists()


def test_the_generic_webhook_refuses_a_replay_of_an_old_request(
    client: Client, generic_secret: str
) -> None:
    payload = {"id": "e1", "email": "x@example.org", "type": "complaint"}
    status, body = signed_post(client, generic_secret, payload, at=int(time.time()) - 3600)
    assert (status, body) == (403, {"error": "stale timestamp"})
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "e1", "email": "x@example.org", "type": "opened"},
        {"id": "e1", "type": "complaint"},
        {"id": "e1", "email": "not-an-address", "type": "complaint"},
        ["not", "an", "object"],
        "garbage",
    ],
)
def test_the_generic_webhook_rejects_bad_payloads_clearly(
    client: Client, generic_secret: str, payload: object
) -> None:
    status, body = signed_post(client, generic_secret, payload)
    assert status == 400
    assert str(body["error"]).startswith("bad payload")
    assert not DeliveryEvent.objects.exists()


def test_the_generic_webhook_is_off_without_a_secret(client: Client) -> None:
    status, _ = signed_post(client, "", {"id": "e", "email": "x@example.org", "type": "complaint"})
    assert status == 404
