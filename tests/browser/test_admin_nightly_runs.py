"""The operators' nightly-runs list at a common laptop size (1366x768): the table fits the
window, nothing to scroll sideways for. Writes docs/screenshots/admin-nightly-runs-1366.png
when PAPERBOY_SCREENSHOTS=1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, expect

from emails.models import NightlyRun
from tests.browser.shots import screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _runs() -> None:
    """A fortnight of busy nights: six-digit counts, every stage timed, one failed run."""
    slot = datetime(2026, 11, 26, 7, tzinfo=UTC)
    for night in range(14):
        start = slot - timedelta(days=night)
        NightlyRun.objects.create(
            slot=start,
            status="failed" if night == 3 else "done",
            due=123_456, chunks=124, chunks_done=124, ranked=123_456, built=123_450,
            sent=123_001, failed=1_234, suppressed=12_345, skipped=10_234, uncertain=123,
            retried=4_321, render_seconds=1234.5,
            rank_started_at=start, rank_finished_at=start + timedelta(seconds=1234.5),
            build_started_at=start, build_finished_at=start + timedelta(seconds=2345.6),
            send_started_at=start, send_finished_at=start + timedelta(seconds=12345.6),
        )  # fmt: skip


def test_the_nightly_runs_table_fits_a_1366px_window(browser: Browser, live_server) -> None:
    get_user_model().objects.create_superuser("boss", "boss@example.org", "right-pw-123")
    _runs()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/admin/login/?next=/admin/emails/nightlyrun/")
        page.get_by_label("Username").fill("boss")
        page.get_by_label("Password").fill("right-pw-123")
        page.get_by_role("button", name="Log in").click()
        table = page.locator("#result_list")
        expect(table).to_be_visible()
        # Django wraps the table in a box that scrolls sideways (overflow-x: auto): a table
        # wider than its box ends inside the window but is cut off at the box's edge.
        box, shown = table.bounding_box(), page.locator("#changelist .results").bounding_box()
        assert box is not None
        assert shown is not None
        assert box["x"] >= shown["x"] >= 0
        assert box["x"] + box["width"] <= shown["x"] + shown["width"] <= 1366, (box, shown)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        # Every run is listed, with what an operator scans for first.
        assert table.locator("tbody tr").count() == 14
        expect(table.locator("thead")).to_contain_text("Sent")
        expect(table.locator("thead")).to_contain_text("Failed")
        out = screenshot_dir()
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "admin-nightly-runs-1366.png"), full_page=True)
    finally:
        context.close()
