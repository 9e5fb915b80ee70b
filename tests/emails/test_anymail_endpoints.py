"""Every mounted Anymail tracking endpoint: 404 without ANYMAIL_WEBHOOK_SECRET, and with it a
4xx (never a 500) for junk, authenticated or not."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import URLPattern
from pytest_django.fixtures import Settings as SettingsWrapper

from emails import urls_anymail
from emails.models import DeliveryEvent

pytestmark = pytest.mark.django_db
SECRET = "hook-user:hook-password"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()
ENDPOINTS = [
    f"/webhooks/anymail/{p.pattern}" for p in urls_anymail.urlpatterns if isinstance(p, URLPattern)
]
DEEP = b"[" * 50_000 + b"]" * 50_000
# Bodies no ESP's format can read: a 4xx from every endpoint, authenticated or not.
JUNK = [
    (b"garbage", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"", "application/json"),
    (DEEP, "application/json"),
    (b"a=b&event=bounce", "application/x-www-form-urlencoded"),
]
# JSON of the wrong shape: an ESP may read some as "no events" (200), but never a 500.
SHAPES = [
    (b"{}", "application/json"),
    (b"[]", "application/json"),
    (b'[{"x": 1}]', "application/json"),
    (b'{"event": 7, "msys": [], "RecordType": null}', "application/json"),
    (b'"text"', "application/json"),
    (b"1", "application/json"),
    (b"null", "application/json"),
]


def test_only_tracking_endpoints_are_mounted(client: Client) -> None:
    assert "/webhooks/anymail/postmark/tracking/" in ENDPOINTS
    assert len(ENDPOINTS) >= 10
    assert all(url.endswith("/tracking/") for url in ENDPOINTS)
    inbound = "/webhooks/anymail/postmark/inbound/"
    assert client.post(inbound, b"{}", "application/json").status_code == 404


@pytest.mark.parametrize("url", ENDPOINTS)
def test_without_the_secret_every_endpoint_is_404(
    client: Client, settings: SettingsWrapper, url: str
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    for body, content_type in JUNK + SHAPES:
        response = client.post(url, body, content_type, HTTP_AUTHORIZATION=AUTH)
        assert response.status_code == 404, (url, body[:20])
    assert client.head(url).status_code == 404
    assert response.json() == {"error": "this webhook is not configured"}


@pytest.mark.parametrize("url", ENDPOINTS)
def test_without_auth_anything_gets_a_4xx(
    client: Client, settings: SettingsWrapper, url: str
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    for body, content_type in JUNK + SHAPES:
        response = client.post(url, body, content_type, HTTP_AUTHORIZATION="Basic eDp5")
        assert 400 <= response.status_code < 500, (url, body[:20], response.status_code)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_authenticated_junk_gets_a_4xx_and_odd_json_never_a_500(
    client: Client, settings: SettingsWrapper, url: str
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    for body, content_type in JUNK:
        response = client.post(url, body, content_type, HTTP_AUTHORIZATION=AUTH)
        assert 400 <= response.status_code < 500, (url, body[:20], response.status_code)
    for body, content_type in SHAPES:
        response = client.post(url, body, content_type, HTTP_AUTHORIZATION=AUTH)
        assert response.status_code < 500, (url, body[:20], response.status_code)
    assert not DeliveryEvent.objects.exists()


def test_an_esp_without_its_own_key_or_package_is_404(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    for esp in ("amazon_ses", "mailgun", "mandrill"):  # boto3; signing key; webhook key
        url = f"/webhooks/anymail/{esp}/tracking/"
        response = client.post(url, b"{}", "application/json", HTTP_AUTHORIZATION=AUTH)
        assert (response.status_code, response.json()) == (
            404,
            {"error": "this webhook is not configured"},
        ), esp


def test_an_authenticated_malformed_body_is_a_one_line_400(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    url = "/webhooks/anymail/postmark/tracking/"
    response = client.post(url, b"garbage", "application/json", HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 400
    assert response.json() == {"error": "malformed Postmark payload (JSONDecodeError)"}
    response = client.post(url, DEEP, "application/json", HTTP_AUTHORIZATION=AUTH)
    assert response.json() == {"error": "malformed Postmark payload (RecursionError)"}
