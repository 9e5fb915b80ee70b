"""Form bodies in a charset other than UTF-8 get a one-line 400 before any view reads them."""

from __future__ import annotations

import pytest
from django.test import Client

from subscriptions.models import Subscriber
from subscriptions.services.links import manage_url, unsubscribe_url
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
BODY = "email=a%40example.org&password=x&username=boss"


def form_urls() -> list[str]:
    subscriber = SubscriberFactory()
    return [
        "/",
        "/link/",
        "/admin/login/",
        manage_url(subscriber).removeprefix("http://testserver"),
        manage_url(subscriber).removeprefix("http://testserver") + "delete/",
        unsubscribe_url(subscriber).removeprefix("http://testserver"),
    ]


def post(url: str, body: bytes, content_type: str) -> tuple[int, dict[str, object]]:
    # As a browser would: with CSRF enforced, as in production (the refusal comes first).
    response = Client(enforce_csrf_checks=True).generic("POST", url, body, content_type)
    return response.status_code, response.json()


@pytest.mark.parametrize("kind", [FORM, "multipart/form-data; boundary=xyz"])
def test_a_utf16_form_is_refused_in_one_line(kind: str) -> None:
    for url in form_urls():
        answer = post(url, BODY.encode("utf-16"), f"{kind}; charset=utf-16")
        assert answer == (400, {"error": "form bodies must be UTF-8, not utf-16"}), url
    assert Subscriber.objects.count() == 1


def test_an_unknown_charset_is_refused_in_one_line() -> None:
    for url in form_urls():
        answer = post(url, BODY.encode(), f"{FORM}; charset=x-nonsense")
        assert answer == (400, {"error": "unknown charset 'x-nonsense'"}), url
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "us-ascii"])
def test_utf8_and_ascii_forms_are_read(client: Client, charset: str) -> None:
    response = client.generic("POST", "/", b"email=ada%40example.org", f"{FORM}; charset={charset}")
    assert response.status_code == 302
    assert Subscriber.objects.filter(email="ada@example.org").exists()


def test_json_bodies_are_not_a_form_matter(client: Client) -> None:
    response = client.generic(
        "POST", "/webhooks/bounces/", b"{}", "application/json; charset=utf-16"
    )
    assert response.status_code == 404  # the webhook's own answer (no secret set)
