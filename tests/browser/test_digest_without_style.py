"""A digest as a client that drops <style> shows it (Gmail's mobile web view, the Gmail app with
non-Google accounts): only the inlined styles hold the layout. Writes
docs/screenshots/digest-375-nostyle.png when PAPERBOY_SCREENSHOTS=1."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from emails.services.digest import build_digest
from emails.viewmodel import DigestItem
from tests.browser.shots import screenshot_dir
from tests.emails.conftest import parts
from tests.emails.delivery import DAY, ON_DAY
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db, ON_DAY]
STYLE = re.compile(r"<style\b.*?</style>", re.IGNORECASE | re.DOTALL)


def _digest_without_style() -> str:
    """A digest with what breaks narrow layouts: a long unbroken address, title and URL."""
    reader = SubscriberFactory(
        email="a.rather.long.address.for.reading.papers@department.university.example.org",
        keywords=["retrieval-augmented-generation-with-long-context-transformers"],
    )
    papers = [
        PaperFactory(
            title=f"Supercalifragilisticexpialidocious-RetrievalAugmentedGenerationBenchmarks "
            f"for long documents, part {n}",
            abstract="See https://github.com/example-org/a-very-long-repository-name/tree/main/"
            "benchmarks/retrieval-augmented-generation for code. " + "Words " * 60,
            authors=[f"Author Number{n} Withalongsurname" for n in range(12)],
            abs_url=f"https://arxiv.org/abs/2611.0123{n}",
            upvotes=12,
        )
        for n in range(3)
    ]
    items = [DigestItem(p, 0.9, "Matches “retrieval-augmented-generation”", "rag") for p in papers]
    message = build_digest(reader, DAY, items)
    assert message is not None
    html = parts(message)[1]
    stripped = STYLE.sub("", html)
    assert "<style" not in stripped.lower()
    return stripped


@pytest.fixture
def narrow(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    yield context.new_page()
    context.close()


def test_a_digest_without_style_fits_a_375px_screen(narrow: Page) -> None:
    narrow.set_content(_digest_without_style())
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 375
    container = narrow.locator("table.container").bounding_box()
    assert container is not None
    assert container["x"] >= 0
    assert container["x"] + container["width"] <= 375
    # Nothing inside pokes out of the container either (long words wrap).
    widest = narrow.evaluate(
        "Math.max(...[...document.querySelectorAll('body *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 375
    out = screenshot_dir()
    out.mkdir(parents=True, exist_ok=True)
    narrow.screenshot(path=str(out / "digest-375-nostyle.png"), full_page=True)


@pytest.mark.parametrize("width", [600, 800, 1280])
def test_a_digest_without_style_is_600px_wide_and_centred_on_wider_screens(
    browser: Browser, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.set_content(_digest_without_style())
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.locator("table.container").bounding_box()
        assert box is not None
        # The wrapper cell pads 8px either side: at 600px the container fills what is left.
        assert box["width"] == min(600, width - 16)
        assert abs(box["x"] - (width - box["width"]) / 2) <= 1
    finally:
        context.close()
