from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from emails.services.digest import build_digest
from ranking.models import Paper
from subscriptions.models import Subscriber
from subscriptions.services.preferences import revoke_links
from tests.emails.conftest import DAY, items_for, links, parts

pytestmark = pytest.mark.django_db


@time_machine.travel(DAY, tick=False)
def test_it_shows_the_email_as_sent(
    client: Client, subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers, ("retrieval", "graphs")))
    assert message is not None
    html = parts(message)[1]
    response = client.get(urlsplit(links(html, "view")[0]).path)
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex"
    # The email is styled inline: this page (only) allows inline styles, never scripts.
    # The header's directives come in no fixed order: compare them by name.
    csp = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["script-src"] == "'self'"
    assert response.content.decode() == html  # same code, same snapshot, same links


def test_it_survives_a_deleted_paper(
    client: Client, subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    papers[0].delete()
    with time_machine.travel(DAY):
        response = client.get(urlsplit(links(parts(message)[1], "view")[0]).path)
    assert response.status_code == 200
    assert b"3 new papers for you" in response.content


def test_bad_expired_and_revoked_view_links_get_a_clear_page(
    client: Client, subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    path = urlsplit(links(parts(message)[1], "view")[0]).path
    assert client.get(path.replace("/digest/", "/digest/x")).status_code == 400
    with time_machine.travel(DAY + timedelta(days=200)):
        expired = client.get(path)
    assert expired.status_code == 400
    assert b"This link has expired" in expired.content
    revoke_links(subscriber)
    with time_machine.travel(DAY):
        assert b"no longer valid" in client.get(path).content
