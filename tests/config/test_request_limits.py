"""Oversized requests are refused before anything reads them."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from subscriptions.models import Subscriber

pytestmark = pytest.mark.django_db


def test_a_body_over_the_limit_gets_413_unread(client: Client, settings: SettingsWrapper) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = "email=a%40example.org&interests=" + "x" * 2000
    response = client.post("/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json() == {"error": "request body over 1024 bytes"}
    assert not Subscriber.objects.exists()


def test_a_form_with_too_many_fields_is_refused(client: Client, settings: SettingsWrapper) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    body = "&".join(f"f{n}=1" for n in range(60)) + "&email=a%40example.org"
    response = client.post("/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_a_malformed_content_length_is_refused(client: Client) -> None:
    response = client.generic("POST", "/", b"", CONTENT_LENGTH="12abc")
    assert response.status_code == 400


def test_the_anymail_webhook_refuses_an_oversized_body(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    response = client.post(
        "/webhooks/anymail/postmark/tracking/",
        "[" + ",".join(["{}"] * 3000) + "]",
        content_type="application/json",
    )
    assert response.status_code == 413
