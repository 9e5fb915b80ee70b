"""The public pages in a real Chromium: front page, search, a paper page and "subscribe to
papers like this"; desktop and mobile screenshots into docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from ranking.models import Paper
from subscriptions.models import Subscriber
from tests.browser.shots import screenshot_dir
from tests.factories import PaperFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = screenshot_dir()

TRENDING = [
    (
        "2501.12948",
        "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning",
        ["DeepSeek-AI", "Daya Guo", "Dejian Yang", "Haowei Zhang", "Junxiao Song"],
        ["cs.CL", "cs.AI", "cs.LG"],
        412,
    ),
    (
        "2112.09118",
        "Unsupervised Dense Information Retrieval with Contrastive Learning",
        ["Gautier Izacard", "Mathilde Caron", "Lucas Hosseini", "Sebastian Riedel"],
        ["cs.IR", "cs.CL"],
        187,
    ),
    (
        "2401.04088",
        "Mixtral of Experts",
        [
            "Albert Q. Jiang",
            "Alexandre Sablayrolles",
            "Antoine Roux",
            "Arthur Mensch",
            "Blanche Savary",
        ],
        ["cs.LG", "cs.CL"],
        96,
    ),
    (
        "math.GT/0309136",
        "The Ricci flow: surgery and applications to three-manifolds",
        ["Grisha Perelman"],
        ["math.DG", "math.GT"],
        41,
    ),
]


@pytest.fixture
def site(live_server, settings, smtp_server):
    settings.SITE_URL = live_server.url
    TopicFactory(
        name="Large language models",
        slug="llms",
        categories=["cs.CL"],
        keywords=["language model"],
        position=0,
    )
    TopicFactory(
        name="Information retrieval",
        slug="information-retrieval",
        categories=["cs.IR"],
        keywords=["retrieval"],
        position=1,
    )
    TopicFactory(
        name="Geometry & topology", slug="geometry", categories=["math.GT"], keywords=[], position=2
    )
    call_command("load_demo_papers")
    demo = {p.title: p for p in Paper.objects.all()}
    for arxiv_id, title, authors, categories, upvotes in TRENDING:
        fields = {
            "canonical_id": arxiv_id,
            "authors": authors,
            "categories": categories,
            "primary_category": categories[0],
            "upvotes": upvotes,
            "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
            "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}",
            "published": timezone.now() - timedelta(days=1),
            "sources": ["arxiv-api", "hf"],
            "version": 2,
        }
        if title in demo:
            Paper.objects.filter(pk=demo[title].pk).update(**fields)
        else:
            PaperFactory(title=title, abstract=_abstract(title), **fields)
    return live_server


def _abstract(title: str) -> str:
    return (
        f"{title} is studied at scale. We show that simple methods, trained on large corpora, "
        "match or beat specialised systems on reasoning, retrieval and language benchmarks, and "
        "release code and models. " * 3
    )


def shoot(page: Page, mobile_page: Page, url: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    mobile_page.goto(url)
    mobile_page.screenshot(path=SCREENSHOTS / f"{name}-mobile.png", full_page=True)


def test_front_page_search_paper_page_and_subscribe_to_papers_like_this(
    page: Page, mobile_page: Page, site
) -> None:
    page.goto(site.url + "/")
    expect(
        page.get_by_role("heading", name="Get trending papers in your email inbox")
    ).to_be_visible()
    cards = page.locator("ol.papers > li.paper")
    expect(cards).to_have_count(25)
    expect(cards.first.get_by_role("heading")).to_have_text(TRENDING[0][1])
    expect(cards.first.locator(".trend")).to_have_text("▲ 412")
    expect(page.locator(".list-meta")).to_contain_text(f"{Paper.objects.count()} in the catalogue")
    # The abstract is folded: a teaser until opened.
    abstract = cards.nth(1).locator("details.abstract")
    expect(abstract.locator("p")).not_to_be_visible()
    abstract.locator("summary").click()
    expect(abstract.locator("p")).to_be_visible()
    abstract.locator("summary").click()
    shoot(page, mobile_page, site.url + "/", "front")

    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(site.url + "/?page=2")
    expect(page.locator("ol.papers")).to_have_attribute("start", "26")

    page.get_by_role("link", name="Information retrieval").first.click()
    expect(page.get_by_role("heading", name="Trending in Information retrieval")).to_be_visible()

    page.get_by_label("Search titles and abstracts").fill("contrastive retrieval")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
    result = page.get_by_role("link", name=TRENDING[1][1])
    expect(result).to_be_visible()

    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TRENDING[1][1])
    expect(page.get_by_text("Gautier Izacard, Mathilde Caron")).to_be_visible()
    expect(page.get_by_role("link", name="v2")).to_have_attribute(
        "href", "https://arxiv.org/abs/2112.09118v2"
    )
    expect(page.locator(".similar li").first).to_be_visible()
    shoot(page, mobile_page, page.url, "paper")

    page.get_by_role("link", name="Subscribe to papers like this").click()
    expect(page.get_by_text("get papers like")).to_be_visible()
    expect(page.get_by_label("Papers like these")).to_have_value("2112.09118")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    subscriber = Subscriber.objects.get()
    assert [p.canonical_id for p in subscriber.seed_papers.all()] == ["2112.09118"]


def test_a_title_only_paper_pre_fills_the_form_and_unknown_papers_are_a_404(
    page: Page, site
) -> None:
    demo = Paper.objects.filter(canonical_id__startswith="title:").order_by("pk").first()
    page.goto(f"{site.url}/papers/{demo.canonical_id}/")
    page.get_by_role("link", name="Subscribe to papers like this").click()
    expect(page.get_by_label("Papers like these")).to_have_value(demo.canonical_id)

    response = page.goto(site.url + "/papers/2401.99999/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("There is no paper with this id")).to_be_visible()
