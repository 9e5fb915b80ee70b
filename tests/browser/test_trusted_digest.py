"""The interest check and a thin day's digest in Chromium, as a reader sees them. Writes
docs/screenshots/interest-check-*.png and digest-thin-day.png (looked at by a human)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page

from emails.services.digest import build_digest
from emails.services.preview import preview_items
from ranking.models import Paper
from tests.browser.shots import screenshot_dir
from tests.emails.conftest import links, parts
from tests.emails.delivery import DAY, ON_DAY
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = screenshot_dir()


def test_the_sign_up_page_checks_a_vague_and_a_narrow_interest(page: Page, live_server) -> None:
    call_command("load_demo_papers")
    page.goto(live_server.url + "/")
    page.get_by_text("Fine-tune: keywords").click()
    page.get_by_label("Keywords").fill("learning\nvideo generation")
    page.get_by_role("button", name="Check my interests").click()
    check = page.get_by_role("status").filter(has_text="What your interests would have found")
    assert check.is_visible()
    assert check.get_by_text("Too broad:").is_visible()
    assert check.locator("a[href^='/papers/']").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    check.screenshot(path=str(SCREENSHOTS / "interest-check-desktop.png"))


@ON_DAY
def test_a_thin_day_digest_is_short_and_explained(page: Page, live_server) -> None:
    call_command("load_demo_papers")
    # The day's papers: two on retrieval among the demo catalogue's others.
    for title, abstract in (
        (
            "Hard negatives for dense passage retrieval",
            "We train a dual-encoder dense retriever with contrastive learning over mined "
            "hard negatives, improving passage recall on Natural Questions and MS MARCO.",
        ),
        (
            "Late interaction for efficient neural search",
            "Queries and documents become token embeddings scored by late interaction: dense "
            "retrieval quality at a fraction of cross-encoder re-ranking cost on BEIR.",
        ),
    ):
        PaperFactory(title=title, abstract=abstract, upvotes=12)
    # A thin day: those two and twenty papers on other subjects; the rest came last week.
    Paper.objects.update(first_seen=timezone.now() - timedelta(days=10))
    words = ("retriev", "search", "rank", "contrastive", "self-supervised")
    day = [p.pk for p in Paper.objects.order_by("pk") if p.upvotes == 12]
    day += [
        p.pk for p in Paper.objects.order_by("pk")
        if not any(w in (p.title + p.abstract).lower() for w in words)
    ][:20]  # fmt: skip
    Paper.objects.filter(pk__in=day).update(first_seen=timezone.now() - timedelta(hours=1))
    reader = SubscriberFactory(
        email="ada@example.org", keywords=["dense retrieval", "contrastive learning"]
    )
    items = preview_items(reader)
    assert 1 <= len(items) <= 5
    message = build_digest(reader, DAY, items)
    assert message is not None
    text = parts(message)[0]
    for filler in ("“new”", "“methods”", "“performance”", "liked papers"):
        assert filler not in text
    page.goto(live_server.url + urlsplit(links(parts(message)[1], "view")[0]).path)
    assert page.get_by_text("For dense retrieval, contrastive learning").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "digest-thin-day.png"), full_page=True)
