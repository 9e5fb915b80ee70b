"""One mailbox, one subscriber: the canonical address for uniqueness, suppression and sending."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from emails.models import Suppression
from emails.services.suppression import is_suppressed, suppress_address, suppressed_among
from subscriptions.addresses import (
    AddressError,
    canonical_address,
    check_public,
    display_address,
)
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("x@bücher.example", "x@xn--bcher-kva.example"),
        ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
        ("X@BÜCHER.Example", "x@xn--bcher-kva.example"),
        ("  Ada@Example.ORG ", "ada@example.org"),
        ("ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org", "ada@example.org"),  # full width
    ],
)
def test_every_spelling_of_a_mailbox_has_one_canonical_form(typed: str, canonical: str) -> None:
    assert canonical_address(typed) == canonical


def test_only_an_ascii_local_part_is_lower_cased() -> None:
    # Lower-casing "İ" grows it into two characters, and a long s (U+017F) is not "s" to a
    # server that compares bytes: a non-ASCII local part is kept as typed (NFC).
    assert canonical_address("İris@Example.org") == "İris@example.org"
    assert canonical_address("\u017fam@example.org") == "\u017fam@example.org"
    assert canonical_address("Sam@example.org") == "sam@example.org"


@pytest.mark.parametrize(
    "bad", ["no-at-sign", "@example.org", "x@", "x@-bad-.example", '"a@b"@example.org']
)
def test_what_cannot_be_an_address_says_why(bad: str) -> None:
    with pytest.raises(AddressError, match=r"\w"):
        canonical_address(bad)


@pytest.mark.parametrize(
    "address",
    [
        "local@localhost",
        "local@[127.0.0.1]",
        "local@[ipv6:::1]",
        "a@intranet",
        "a@printer.local",
        "a@box.internal",
        "a@1.2.3.4",
    ],
)
def test_addresses_off_the_public_internet_are_refused(address: str) -> None:
    with pytest.raises(AddressError):
        check_public(canonical_address(address))


def test_public_addresses_pass_and_show_as_their_owner_writes_them() -> None:
    check_public(canonical_address("x@bücher.example"))
    check_public("ada@cs.example.org")
    assert display_address("x@xn--bcher-kva.example") == "x@bücher.example"
    assert display_address("ada@example.org") == "ada@example.org"


def post_signup(client: Client, capture: Any, email: str) -> Any:
    with capture(execute=True):
        return client.post("/", {"email": email, "keywords": "dense retrieval"})


@pytest.mark.django_db
def test_two_spellings_of_one_idn_mailbox_are_one_subscriber(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    post_signup(client, django_capture_on_commit_callbacks, "x@bücher.example")
    post_signup(client, django_capture_on_commit_callbacks, "x@xn--bcher-kva.example")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "x@xn--bcher-kva.example"
    # Sent to the encoded form (plain ASCII on the wire), greeted in the owner's spelling.
    assert {m["To"] for m in smtp_server.messages} == {"x@xn--bcher-kva.example"}
    page = client.get("/check-your-inbox/")
    assert page.status_code == 200


@pytest.mark.django_db
def test_a_bounce_of_one_spelling_suppresses_every_spelling() -> None:
    SubscriberFactory(email="x@xn--bcher-kva.example")
    suppress_address("X@Bücher.example", Suppression.Reason.HARD_BOUNCE)
    assert Suppression.objects.get().email == "x@xn--bcher-kva.example"
    assert is_suppressed("x@xn--bcher-kva.example")
    assert is_suppressed("x@BÜCHER.example")
    assert suppressed_among(["x@xn--bcher-kva.example"]) == {"x@xn--bcher-kva.example"}


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["local@localhost", "local@[127.0.0.1]", "a@printer.local"])
def test_sign_up_refuses_a_private_address_and_mails_nothing(
    client: Client, smtp_server, django_capture_on_commit_callbacks, address: str
) -> None:
    response = post_signup(client, django_capture_on_commit_callbacks, address)
    assert response.status_code == 400
    html = response.content.decode()
    assert "public domain" in html or "IP address" in html or "cannot receive mail" in html
    assert not Subscriber.objects.exists()
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_the_admin_stores_the_canonical_form_and_refuses_localhost(client: Client) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-123456789")
    client.force_login(staff)
    form = {
        "status": "active", "frequency": "daily", "weekly_day": "0", "papers_per_digest": "20",
        "delivery_hour": "7", "time_zone": "UTC", "keywords": "retrieval",
        "seed_paper_ids": "[]", "feedback-TOTAL_FORMS": "0",
        "feedback-INITIAL_FORMS": "0",
    }  # fmt: skip
    bad = client.post("/admin/subscriptions/subscriber/add/", {**form, "email": "a@localhost"})
    assert bad.status_code == 200
    assert not Subscriber.objects.exists()
    client.post("/admin/subscriptions/subscriber/add/", {**form, "email": "Y@Bücher.example"})
    assert Subscriber.objects.get().email == "y@xn--bcher-kva.example"


@pytest.mark.django_db
def test_an_old_private_address_is_never_mailed() -> None:
    # Stored before sign-up refused them (factories skip form validation, as old rows did).
    SubscriberFactory(email="old@localhost")
    SubscriberFactory(email="ok@example.org")
    assert suppressed_among(["old@localhost", "ok@example.org"]) == {"old@localhost"}
