from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.factories import PaperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_the_home_page_with_papers(page: Page, live_server) -> None:
    PaperFactory(title="Unsupervised Dense Information Retrieval", upvotes=42)
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", name="Get trending papers").is_visible()
    assert page.get_by_text("Unsupervised Dense Information Retrieval").is_visible()
    assert page.get_by_text("▲ 42").is_visible()


def test_it_renders_the_admin_login(page: Page, live_server) -> None:
    page.goto(live_server.url + "/admin/")
    assert page.get_by_label("Username").is_visible()
    assert page.get_by_role("button", name="Log in").is_visible()
