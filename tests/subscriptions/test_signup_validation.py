"""Every kind of bad sign-up input gets a field error and stores nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address"),
        ({"email": "a" * 250 + "@example.org"}, "email", "at most 254 characters"),
        ({"email": "a@example.org\r\nBcc: victim@example.org"}, "email", "line breaks"),
        ({"email": "a@example.org\n"}, "email", "line breaks"),
        ({"email": "a\x00@example.org"}, "email", "control characters"),
        ({"topics": ["no-such-topic"]}, "topics", "Unknown topic: no-such-topic"),
        ({"topics": ["9999999999999999999999"]}, "topics", "Unknown topic"),
        ({"keywords": "x" * 10_000}, "keywords", "at most"),
        ({"keywords": ",".join(f"k{n}" for n in range(31))}, "keywords", "At most 30 entries"),
        ({"keywords": "ok, " + "y" * 81}, "keywords", "Not valid"),
        ({"keywords": "tab\there"}, "keywords", "Not valid"),
        ({"authors": "Ada\x00Lovelace"}, "authors", "Null characters"),
        ({"categories": "not a category"}, "categories", "Not valid"),
        ({"seed_papers": "2401.1"}, "seed_papers", "Not valid: '2401.1'"),
        ({"seed_papers": "https://example.org/abs/2401.01234"}, "seed_papers", "Not valid"),
        ({"papers_per_digest": "4"}, "papers_per_digest", "greater than or equal to 5"),
        ({"papers_per_digest": "51"}, "papers_per_digest", "less than or equal to 50"),
        ({"papers_per_digest": "ten"}, "papers_per_digest", "Enter a whole number"),
        ({"delivery_hour": "24"}, "delivery_hour", "Select a valid choice"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice"),
        ({"time_zone": "Europe/Paris\r\n"}, "time_zone", "Select a valid choice"),
        ({"frequency": "hourly"}, "frequency", "Select a valid choice"),
        ({"weekly_day": "7"}, "weekly_day", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_field_error_and_no_record(
    client: Client, topic, data: dict, field: str, message: str
) -> None:
    payload = {"email": "ok@example.org", **data}
    response = client.post("/", payload)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert message.split(":")[0] in response.content.decode().replace("&#x27;", "'")
    assert not Subscriber.objects.exists()


def test_a_bad_field_keeps_what_was_typed(client: Client, topic) -> None:
    response = client.post(
        "/",
        {
            "email": "ok@example.org",
            "keywords": "kept words",
            "papers_per_digest": "99",
            "topics": [topic.slug],
        },
    )
    html = response.content.decode()
    assert "kept words" in html
    assert f'value="{topic.slug}"' in html
    assert "checked" in html


def test_html_in_keywords_is_stored_as_text_and_escaped(
    client: Client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    script = "<script>alert(1)</script>"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/", {"email": "x@example.org", "keywords": script})
    subscriber = Subscriber.objects.get()
    assert subscriber.keywords == [script]
    text = smtp_server.messages[0].get_body(preferencelist=("plain",)).get_content()
    html = smtp_server.messages[0].get_body(preferencelist=("html",)).get_content()
    assert script in text  # plain text shows exactly what was typed
    assert script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_existing_address_with_bad_fields_still_gets_errors_not_enumeration(
    client: Client,
) -> None:
    SubscriberFactory(email="known@example.org")
    known = client.post("/", {"email": "known@example.org", "papers_per_digest": "1"})
    unknown = client.post("/", {"email": "new@example.org", "papers_per_digest": "1"})
    assert known.status_code == unknown.status_code == 400
    assert known.context["form"].errors == unknown.context["form"].errors
