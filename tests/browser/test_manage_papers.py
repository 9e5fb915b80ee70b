"""The preference centre's paper lists in Chromium: untick a seed paper, undo a rating."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from subscriptions.models import Feedback
from subscriptions.services.links import manage_url
from tests.factories import FeedbackFactory, PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_unticks_a_seed_paper_and_undoes_a_rating(
    page: Page, live_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    seed = PaperFactory(title="Dense passage retrieval")
    subscriber = SubscriberFactory(seed_paper_ids=[seed.canonical_id, "2499.99999"])
    rated = FeedbackFactory(subscriber=subscriber, paper=PaperFactory(title="Sparse retrieval"))

    page.goto(manage_url(subscriber))
    rated_section = page.locator("#rated")
    expect(rated_section.get_by_role("link", name="Sparse retrieval")).to_be_visible()
    rated_section.get_by_role("button", name="Undo rating of Sparse retrieval").click()
    expect(page.get_by_text("Undone: your digests no longer learn")).to_be_visible()
    expect(rated_section.get_by_role("link", name="Sparse retrieval")).to_have_count(0)
    assert not Feedback.objects.filter(pk=rated.pk).exists()

    page.get_by_label("Keep Dense passage retrieval").uncheck()
    page.get_by_label("Add papers like these").fill("https://arxiv.org/abs/1706.03762")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.seed_paper_ids == ["2499.99999", "1706.03762"]
    expect(page.get_by_label("Keep Dense passage retrieval")).to_have_count(0)
