"""Random and hostile input at every form and endpoint: never a 500, never an invalid record."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscriptions import tokens
from subscriptions.models import Subscriber
from subscriptions.services.links import manage_url, unsubscribe_url
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
FIELDS = [
    "email",
    "topics",
    "keywords",
    "negative_keywords",
    "categories",
    "seed_papers",
    "authors",
    "frequency",
    "weekly_day",
    "papers_per_digest",
    "delivery_hour",
    "time_zone",
    "website",
    "action",
    "confirm",
]
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\r\n",
        "a@b.co\r\nBcc: x@y.z",
        "<script>alert(1)</script>",
        "' OR 1=1--",
        "9" * 40,
        "-1",
        "1e9",
        "İ" * 200 + "@example.org",
        "x" * 10_000,
        "../../etc/passwd",
        "llms",
        "daily",
        "weekly",
        "UTC",
        "Europe/Paris",
        "2401.01234",
        "math.GT/0309136",
        "ünïcödé@exämple.org",
        "a@example.org",
        "%00",
        "\ud7ff",
        "\u202e",
        "\ufeff",
    ]
)
VALUES = st.one_of(HOSTILE, st.text(max_size=300))
FORM_DATA = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=20)),
    st.one_of(VALUES, st.lists(VALUES, max_size=4)),
    max_size=10,
)
TOKENS = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=400,
    ),
    st.sampled_from(["eyJzIjoxLCJ2IjoxfQ:1abc:zzz", "..", "%2F", "a:b:c"]),
)
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_every_record_valid() -> None:
    for subscriber in Subscriber.objects.all():
        subscriber.full_clean()
        assert subscriber.email == subscriber.email.lower()


def check(response) -> None:
    assert response.status_code < 500


@PROPERTY
@given(data=FORM_DATA)
def test_signup_survives_anything(client: Client, data: dict) -> None:
    cache.clear()  # rate limits would otherwise hide later examples
    check(client.post("/", data))
    check(client.post("/link/", data))
    assert_every_record_valid()


@PROPERTY
@given(data=FORM_DATA)
def test_manage_survives_anything(client: Client, data: dict) -> None:
    subscriber = SubscriberFactory()
    url = manage_url(subscriber).removeprefix("http://testserver")
    check(client.post(url, data))
    check(client.post(url + "delete/", data))
    assert_every_record_valid()


@PROPERTY
@given(token=TOKENS, data=FORM_DATA)
def test_token_endpoints_survive_any_token(client: Client, token: str, data: dict) -> None:
    for prefix in ["/confirm/", "/manage/", "/unsubscribe/"]:
        url = f"{prefix}{quote(token, safe='')}/"
        for response in (client.get(url), client.post(url, data)):
            assert response.status_code in {400, 403, 404}, (prefix, token)


@PROPERTY
@given(data=FORM_DATA)
def test_unsubscribe_survives_any_body(data: dict) -> None:
    subscriber = SubscriberFactory()
    url = unsubscribe_url(subscriber).removeprefix("http://testserver")
    response = Client(enforce_csrf_checks=True).post(url, data)
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert_every_record_valid()


def test_a_genuine_token_for_a_missing_subscriber_is_a_clean_400(client: Client) -> None:
    token = tokens.make_token("manage", 2**62, 1)
    assert client.get(f"/manage/{token}/").status_code == 400
