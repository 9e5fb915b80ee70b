"""A real digest, rendered from the demo catalogue by the production code, in Chromium: desktop,
phone and dark mode. Writes docs/screenshots/digest-*.png (looked at by a human)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import Browser, Page

from emails.services.digest import build_digest
from emails.services.preview import preview_items
from subscriptions.models import Feedback
from tests.browser.shots import screenshot_dir
from tests.emails.conftest import links, parts
from tests.emails.delivery import DAY, ON_DAY
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), ON_DAY]
SCREENSHOTS = screenshot_dir()


def _digest_paths() -> tuple[str, str]:
    """Paths of the digest's "view in browser" link and of its first "less like this" link."""
    call_command("load_demo_papers")
    published = datetime(2026, 11, 25, 18, tzinfo=UTC)
    PaperFactory(
        title="Sparse Mixture-of-Experts Language Models Are Better Retrieval Rerankers",
        abstract="We show that a sparse mixture-of-experts language model, fine-tuned as a "
        "listwise reranker, beats dense rerankers of twice its active size on BEIR while "
        "halving inference cost. Routing analysis reveals experts specialised by domain.",
        authors=["Lena Okafor", "Tomás Ribeiro", "Wei Zhang", "Priya Natarajan", "Jonas Berg"],
        categories=["cs.IR", "cs.CL"],
        published=published,
        abs_url="https://arxiv.org/abs/2611.01234",
        upvotes=87,
    )
    PaperFactory(
        title="Diffusion Policies for Long-Horizon Robot Agents",
        abstract="Agents that plan with diffusion models over action chunks solve long-horizon "
        "manipulation tasks that defeat autoregressive policies; we release the benchmark.",
        authors=["Sofia Marin", "Kwame Mensah"],
        categories=["cs.RO", "cs.LG"],
        published=published,
        abs_url="https://arxiv.org/abs/2611.04321",
        upvotes=23,
    )
    reader = SubscriberFactory(
        email="ada@example.org", keywords=["retrieval", "diffusion"], papers_per_digest=8
    )
    reader.topics.add(
        TopicFactory(name="Language models", slug="llm", keywords=["language model", "LLM"])
    )
    message = build_digest(reader, DAY, preview_items(reader))
    assert message is not None
    html = parts(message)[1]
    return urlsplit(links(html, "view")[0]).path, urlsplit(links(html, "less")[0]).path


def _shoot(page: Page, url: str, name: str) -> None:
    page.goto(url)
    assert page.get_by_text("new papers for you").is_visible()
    assert page.get_by_text("More like this").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_it_screenshots_the_digest(
    page: Page, mobile_page: Page, browser: Browser, live_server
) -> None:
    view, _ = _digest_paths()
    url = live_server.url + view
    _shoot(page, url, "digest-desktop.png")
    _shoot(mobile_page, url, "digest-mobile.png")
    assert mobile_page.evaluate("document.documentElement.scrollWidth") <= 390
    dark = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        dark_page = dark.new_page()
        _shoot(dark_page, url, "digest-dark.png")
        background = dark_page.evaluate(
            "getComputedStyle(document.querySelector('.container')).backgroundColor"
        )
        assert background == "rgb(30, 33, 39)"
    finally:
        dark.close()


def test_less_like_this_asks_then_records_in_a_real_browser(mobile_page: Page, live_server) -> None:
    _, less = _digest_paths()
    with time_machine.travel(DAY, tick=True):
        mobile_page.goto(live_server.url + less)
        assert mobile_page.get_by_role("heading", name="Fewer papers like this?").is_visible()
        assert not Feedback.objects.exists()  # opening the link (as a scanner would) did nothing
        mobile_page.screenshot(path=str(SCREENSHOTS / "digest-feedback-mobile.png"))
        mobile_page.get_by_role("button", name="Yes, fewer like this").click()
        assert mobile_page.get_by_role("heading", name="Thanks, noted").is_visible()
    assert Feedback.objects.get().kind == "disliked"
