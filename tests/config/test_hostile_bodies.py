"""Hostile bodies POSTed to every URL the project mounts (the admin's included, logged in):
a form in UTF-16 or an unknown charset gets a one-line 400 before any view reads it, and a
deeply nested JSON body never gets a 500. (tests/subscriptions/test_properties.py fuzzes the
forms' fields; this fuzzes how the body itself is encoded.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from pytest_django.fixtures import Settings as SettingsWrapper

from subscriptions import tokens
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
DEEP_JSON = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
# A route's start -> the token purpose its views accept (other tokens are junk).
TOKEN_PURPOSES = {
    "confirm/": "confirm",
    "manage/": "manage",
    "unsubscribe/": "unsubscribe",
    "feeds/you/": "feed",
}


def routes(patterns: list[object], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            yield prefix + str(entry.pattern)
        # (Regex patterns: the admin's app index and catch-all; the routes cover its views.)


def urls() -> list[str]:
    subscriber = SubscriberFactory()
    paper = PaperFactory()

    def sample(route: str, converter: str, name: str) -> str:
        if name == "token":
            purpose = next((p for r, p in TOKEN_PURPOSES.items() if route.startswith(r)), None)
            if purpose is None:
                return "x"
            return tokens.make_token(purpose, subscriber.pk, subscriber.token_version)  # type: ignore[arg-type]
        if name == "canonical_id":
            return paper.canonical_id
        return {"int": "1", "path": "1", "slug": "x", "uuid": "0" * 32}.get(converter, "x")

    found = []
    for route in routes(get_resolver().url_patterns):
        filled = CONVERTER.sub(lambda m, r=route: sample(r, m.group(1) or "str", m.group(2)), route)
        found.append("/" + filled)
    return sorted(set(found))


@pytest.fixture
def every_url(settings: SettingsWrapper) -> list[str]:
    # Every endpoint configured, so each answers from its view rather than a "not configured".
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook-user:hook-password"}
    settings.DELIVERY_WEBHOOK_SECRET = "generic-secret"
    found = urls()
    assert len(found) > 100  # the walk found the admin's pages too
    return found


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        (f"{FORM}; charset=utf-16", "email=a%40b.org".encode("utf-16"), "must be UTF-8"),
        (f"{FORM}; charset=x-nonsense", b"email=a%40b.org", "unknown charset"),
        ("multipart/form-data; boundary=b; charset=utf-32", b"--b--", "must be UTF-8"),
    ],
    ids=["utf-16", "unknown", "multipart-utf-32"],
)
def test_a_form_not_in_utf8_is_a_400_everywhere(
    admin_client: Client, every_url: list[str], content_type: str, body: bytes, error: str
) -> None:
    for url in every_url:
        for client in (admin_client, Client(enforce_csrf_checks=True)):
            response = client.generic("POST", url, body, content_type)
            assert response.status_code == 400, url
            assert error in response.json()["error"], url


def test_deeply_nested_json_is_never_a_500(admin_client: Client, every_url: list[str]) -> None:
    for url in every_url:
        for client in (admin_client, Client()):
            response = client.generic("POST", url, DEEP_JSON, "application/json")
            assert response.status_code < 500, url
