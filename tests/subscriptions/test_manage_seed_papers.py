"""The preference centre lists the chosen seed papers by title, each with a box to keep it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from subscriptions.models import AuditEvent, Subscriber
from subscriptions.services.links import manage_url
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

UNKNOWN = "2499.99999"


@pytest.fixture
def subscriber() -> Subscriber:
    known = PaperFactory(title="Attention is all you need")  # a title: id, as demo papers have
    doi = PaperFactory(canonical_id="doi:10.1000/xyz", title="A paper with only a DOI")
    return SubscriberFactory(seed_paper_ids=[known.canonical_id, doi.canonical_id, UNKNOWN])


def page_of(client: Client, subscriber: Subscriber) -> str:
    response = client.get(manage_url(subscriber))
    assert response.status_code == 200
    return response.content.decode()


def kept_boxes(html: str) -> list[tuple[str, bool]]:
    """(value, ticked) of each keep box, in page order."""
    tags = re.findall(r'<input type="checkbox" name="keep_seed_papers"[^>]*>', html)
    return [(re.findall(r'value="([^"]+)"', tag)[0], " checked" in tag) for tag in tags]


def test_it_lists_seed_papers_by_title_linked_to_their_pages(
    client: Client, subscriber: Subscriber
) -> None:
    html = page_of(client, subscriber)
    title_id = subscriber.seed_paper_ids[0]
    assert f'<a href="/papers/{title_id}/">Attention is all you need</a>' in html
    assert '<a href="/papers/doi:10.1000/xyz/">A paper with only a DOI</a>' in html
    assert f'<code>{UNKNOWN}</code> <span class="muted">(not in the catalogue yet)</span>' in html
    assert kept_boxes(html) == [(i, True) for i in subscriber.seed_paper_ids]
    # The ids are in the boxes' values only, never shown as text in the "add" box.
    assert re.search(r'<textarea name="seed_papers"[^>]*>\s*</textarea>', html)
    assert "Papers like these" in html
    assert "liked papers" not in html.lower()


def test_unticking_removes_a_paper_and_the_box_adds_more(
    client: Client, subscriber: Subscriber
) -> None:
    title_id, doi_id, _ = subscriber.seed_paper_ids
    response = client.post(
        manage_url(subscriber),
        {
            "keep_seed_papers": [UNKNOWN, title_id],
            "seed_papers": "https://arxiv.org/abs/1706.03762v5\n" + title_id,
            "keywords": "retrieval",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved." in html
    subscriber.refresh_from_db()
    # Kept first in their order, then the added ones; each id once.
    assert subscriber.seed_paper_ids == [title_id, UNKNOWN, "1706.03762"]
    assert [p.canonical_id for p in subscriber.seed_papers.all()] == [title_id]
    assert kept_boxes(html) == [(title_id, True), (UNKNOWN, True), ("1706.03762", True)]
    assert doi_id not in html
    assert re.search(r'<textarea name="seed_papers"[^>]*>\s*</textarea>', html)


def test_an_id_not_among_the_subscribers_is_not_kept(
    client: Client, subscriber: Subscriber
) -> None:
    """A box from another tab's older list, or a forged one, is dropped rather than stored."""
    client.post(manage_url(subscriber), {"keep_seed_papers": ["2401.00001", "<script>"]})
    subscriber.refresh_from_db()
    assert subscriber.seed_paper_ids == []


def test_too_many_papers_in_all_is_an_error_that_changes_nothing(
    client: Client, subscriber: Subscriber
) -> None:
    added = "\n".join(f"2401.{n:05d}" for n in range(1, 19))
    response = client.post(
        manage_url(subscriber),
        {"keep_seed_papers": subscriber.seed_paper_ids, "seed_papers": added},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "At most 20 papers in all" in html
    assert kept_boxes(html) == [(i, True) for i in subscriber.seed_paper_ids]
    before = list(subscriber.seed_paper_ids)
    subscriber.refresh_from_db()
    assert subscriber.seed_paper_ids == before
    assert not AuditEvent.objects.exists()


def test_a_bad_added_id_keeps_the_boxes_as_they_were_posted(
    client: Client, subscriber: Subscriber
) -> None:
    title_id = subscriber.seed_paper_ids[0]
    response = client.post(
        manage_url(subscriber), {"keep_seed_papers": [title_id], "seed_papers": "nope"}
    )
    assert response.status_code == 400
    boxes = dict(kept_boxes(response.content.decode()))
    assert boxes == {title_id: True, "doi:10.1000/xyz": False, UNKNOWN: False}


def test_sign_up_keeps_its_box_of_ids(client: Client) -> None:
    paper = PaperFactory(title="Seeded from its page")
    html = client.get("/", {"seed": paper.canonical_id}).content.decode()
    assert re.search(rf'name="seed_papers"[^>]*>\s*{paper.canonical_id}</textarea>', html)
    assert "keep_seed_papers" not in html
