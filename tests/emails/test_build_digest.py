from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.models import Digest
from emails.services.digest import build_digest, record_days
from emails.viewmodel import DigestItem
from ranking.models import Paper
from subscriptions.models import Subscriber
from subscriptions.services.links import subscriber_from_token
from tests.emails.conftest import items_for, links, parts
from tests.emails.delivery import DAY, ON_DAY
from tests.factories import PaperFactory, SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.django_db, ON_DAY]


def test_it_shows_every_paper_in_both_parts(subscriber: Subscriber, papers: list[Paper]) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    text, html = parts(message)
    assert message.subject == "4 new papers: Dense retrieval trick 1"
    assert message.to == ["ada@example.org"]
    assert text.startswith("4 new papers for you · Thursday 26 November 2026\n")
    assert "4 new papers for you" in html
    assert "Thursday 26 November 2026" in html
    for n, paper in enumerate(papers):
        for part in (text, html):
            assert paper.title in part
            assert "Ada Lovelace, Alan Turing" in part
            # No publication date known: the catalogue's own date is not shown as one.
            assert "cs.LG" in part
            assert "cs.LG · 26 Nov 2026" not in part
            assert f"Matches “retrieval”; like paper {n}" in part
            assert paper.abstract[:60] in part
    assert "▲ 41" in text
    assert "▲ 41" in html
    assert "▲ 42" not in text  # no upvotes known for even papers: no trending count
    assert len(links(text, "click")) == len(links(text, "more")) == len(links(text, "less")) == 4


def test_its_html_is_a_fluid_600px_table_with_inlined_css(
    subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    _, html = parts(message)
    assert html.startswith("<!DOCTYPE html>")
    # Fluid: at most 600px, narrower on a phone even where the client drops <style>.
    container = r'class="container" width="100%"[^>]* style="width:100%; max-width:600px'
    assert re.search(container, html)
    assert re.search(r'<td class="paper" style="[^"]*border-bottom:1px solid', html)
    assert re.search(r'<a class="title" href="http://testserver/r/[^"]+/" style="', html)
    # Only what cannot be inlined stays in <style>: dark mode and small screens.
    style = html[html.index("<style>") : html.index("</style>")]
    assert "prefers-color-scheme: dark" in style
    assert "max-width: 620px" in style
    assert ".paper {" in style  # the dark-mode override of .paper, not the inlined rule
    assert "border-bottom: 1px solid" not in style
    preheader = re.search(r'<div class="preheader"[^>]*>([^<]*)</div>', html)
    assert preheader
    assert preheader.group(1).startswith("Dense retrieval trick 1 · and 3 more picked for you")
    for kind in ("click", "more", "less"):
        assert len(links(html, kind)) == 4


def test_its_title_links_and_feedback_links_are_per_paper(
    subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    text, html = parts(message)
    clicks = links(html, "click")
    assert len(set(clicks)) == 4
    assert links(html, "more") == [url + "more/" for url in clicks]
    assert links(html, "less") == [url + "less/" for url in clicks]
    assert links(text, "click") == clicks


def test_it_has_one_section_per_interest_when_there_are_several(
    subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers, ("retrieval", "graphs")))
    assert message is not None
    text, html = parts(message)
    assert "\n== retrieval ==\n" in text
    assert "\n== graphs ==\n" in text
    assert text.index("Dense retrieval trick 3") < text.index("== graphs ==")
    assert re.search(r'<td class="section" style="[^"]*">retrieval</td>', html)
    assert re.search(r'<td class="section" style="[^"]*">graphs</td>', html)


def test_it_has_no_section_headings_for_a_single_interest(
    subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers, ("retrieval",)))
    assert message is not None
    text, html = parts(message)
    assert "==" not in text
    assert 'class="section"' not in html


def test_its_footer_says_why_and_links_to_manage_unsubscribe_and_browser(
    subscriber: Subscriber, papers: list[Paper]
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    text, html = parts(message)
    why = (
        "You get this because ada@example.org subscribed to Paperboy for papers about "
        "Machine learning, retrieval and graph neural network."
    )
    assert why in text
    assert why in html
    manage = re.search(r"Change interests or frequency: (\S+)", text)
    unsubscribe = re.search(r"Unsubscribe: (\S+)", text)
    assert manage
    assert unsubscribe
    assert subscriber_from_token(_token(manage.group(1)), "manage") == subscriber
    assert subscriber_from_token(_token(unsubscribe.group(1)), "unsubscribe") == subscriber
    assert f'href="{manage.group(1)}"' in html
    assert f'href="{unsubscribe.group(1)}"' in html
    assert links(text, "view") == links(html, "view")
    assert len(links(text, "view")) == 1


def test_it_sets_every_bulk_mail_header(subscriber: Subscriber, papers: list[Paper]) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    digest = Digest.objects.get()
    headers = message.message()
    text, _ = parts(message)
    unsubscribe = re.search(r"Unsubscribe: (\S+)", text)
    assert unsubscribe
    assert headers["List-Unsubscribe"] == f"<{unsubscribe.group(1)}>"
    assert headers["List-Unsubscribe"].count("<") == 1  # one URL, no mailto
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == "Paperboy digest <digest.testserver>"
    assert headers["Message-ID"] == digest.message_id == f"<digest.{digest.pk}.20261126@testserver>"
    assert headers["Precedence"] == "bulk"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    sent = parsedate_to_datetime(headers["Date"]).replace(tzinfo=UTC)
    assert abs(sent - datetime.now(UTC)) < timedelta(minutes=1)
    assert headers["From"] == "Paperboy <paperboy@localhost>"
    assert headers["To"] == "ada@example.org"
    assert headers["Subject"] == "4 new papers: Dense retrieval trick 1"
    assert headers.get_content_type() == "multipart/alternative"


def test_it_records_a_snapshot_and_rebuilds_the_same_email(
    subscriber: Subscriber, papers: list[Paper]
) -> None:
    first = build_digest(subscriber, DAY, items_for(papers[:2]))
    again = build_digest(subscriber, DAY, items_for(papers[2:]))  # a retry: the snapshot wins
    assert first is not None
    assert again is not None
    digest = Digest.objects.get()
    assert digest.state == Digest.State.PENDING
    assert digest.items == [
        {
            "paper": papers[n].pk,
            "id": papers[n].canonical_id,
            "score": 1.0 - n / 100,
            "explanation": f"Matches “retrieval”; like paper {n}",
            "interest": "retrieval",
        }
        for n in range(2)
    ]
    assert first.extra_headers["Message-ID"] == again.extra_headers["Message-ID"]
    assert parts(first)[1] == _without_tokens(parts(again)[1], keep=parts(first)[1])


def test_an_empty_day_sends_nothing_and_records_why(
    subscriber: Subscriber, settings: SettingsWrapper
) -> None:
    settings.DIGEST_QUIET_DAY_NOTE = False
    assert build_digest(subscriber, DAY, []) is None
    digest = Digest.objects.get()
    assert (digest.state, digest.kind, digest.items) == (Digest.State.SKIPPED, "digest", [])


def test_an_empty_day_sends_a_short_note_when_configured(
    subscriber: Subscriber, settings: SettingsWrapper
) -> None:
    settings.DIGEST_QUIET_DAY_NOTE = True
    message = build_digest(subscriber, DAY, [])
    assert message is not None
    text, html = parts(message)
    assert message.subject == "A quiet day on Paperboy"
    assert "A quiet day: none of today's new papers matched your interests" in text
    assert "A quiet day: none of today's new papers matched your interests" in html
    assert "at most once a week" in text
    assert "List-Unsubscribe" in message.extra_headers
    assert Digest.objects.get().kind == Digest.Kind.QUIET


def test_the_quiet_day_note_is_on_by_default_and_sent_at_most_once_a_week(
    subscriber: Subscriber,
) -> None:
    sent = [build_digest(subscriber, DAY + timedelta(days=n), []) is not None for n in range(15)]
    assert sent == [True] + [False] * 6 + [True] + [False] * 6 + [True]
    rows = Digest.objects.order_by("digest_date")
    assert {d.kind for d in rows} == {Digest.Kind.QUIET}
    assert [d.state == Digest.State.SKIPPED for d in rows] == [not s for s in sent]
    # The batch path of the nightly run keeps the same rule.
    later = DAY + timedelta(days=15)
    assert record_days([subscriber], later, {})[subscriber.pk].state == Digest.State.SKIPPED


def test_a_subscriber_without_interests_gets_a_nudge_at_most_weekly() -> None:
    reader = SubscriberFactory(keywords=[])
    paper = PaperFactory()
    nudge = build_digest(reader, DAY, items_for([paper]))
    assert nudge is not None
    text, html = parts(nudge)
    assert nudge.subject == "What should Paperboy find for you?"
    assert "you haven't told us what you're interested in" in text
    assert "Choose my interests" in html
    assert "/manage/" in text
    assert nudge.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for days in range(1, 7):
        assert build_digest(reader, DAY + timedelta(days=days), []) is None
    assert build_digest(reader, DAY + timedelta(days=7), []) is not None
    kinds = list(Digest.objects.order_by("digest_date").values_list("kind", "state"))
    assert kinds[0] == kinds[-1] == ("nudge", "pending")
    assert set(kinds[1:-1]) == {("nudge", "skipped")}


@pytest.mark.parametrize(
    "fields", [{"status": Subscriber.Status.UNSUBSCRIBED}, {"status": "pending"}, {"paused": True}]
)
def test_it_builds_nothing_for_someone_who_does_not_receive_digests(fields: dict) -> None:
    reader = SubscriberFactory(**fields)
    assert build_digest(reader, DAY, items_for([PaperFactory()])) is None
    assert not Digest.objects.exists()


def test_a_50_paper_digest_stays_well_under_gmails_clipping_limit(subscriber: Subscriber) -> None:
    long_title = "Scaling laws for sparse mixture-of-experts language models under " * 2
    papers = [
        PaperFactory(
            title=f"{long_title[:150]} {n}",
            abstract="We study a long abstract sentence with many words. " * 40,
            authors=[f"Author Number {k}" for k in range(3000)],
            categories=["cs.LG", "cs.CL", "stat.ML", "cs.AI"],
            abs_url=f"https://arxiv.org/abs/2611.{n:05d}",
            upvotes=1234,
        )
        for n in range(50)
    ]
    explanation = "Matches “mixture of experts” and “scaling laws”; like a paper you liked. " * 2
    items = items_for(papers, ("Large language models", "Efficient training"))
    items = [DigestItem(item.paper, item.score, explanation, item.interest) for item in items]
    message = build_digest(subscriber, DAY, items)
    assert message is not None
    text, html = parts(message)
    assert len(html.encode()) < 85 * 1024  # Gmail clips at 102 KB
    assert "Author Number 0, Author Number 1, Author Number 2 et al." in html
    assert "Author Number 3" not in html
    assert text.count("* Scaling laws") == 50


def test_it_arrives_over_smtp_intact(
    subscriber: Subscriber, papers: list[Paper], smtp_server: SMTPServer, client
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers, ("retrieval", "graphs")))
    assert message is not None
    assert message.send() == 1
    (received,) = smtp_server.messages
    assert smtp_server.envelopes[0][1] == ["ada@example.org"]
    text, html = (part.replace("\r\n", "\n") for part in parts(received))
    assert (text, html) == (message.body, message.alternatives[0][0])
    assert received["Message-ID"] == Digest.objects.get().message_id
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["Subject"] == "4 new papers: Dense retrieval trick 1"
    assert "▲ 41" in html
    response = client.get(urlsplit(links(html, "click")[0]).path)
    assert response.status_code == 302
    assert response["Location"] == "https://arxiv.org/abs/2611.00001"


def _token(url: str) -> str:
    return url.rstrip("/").split("/")[-1]


def _without_tokens(html: str, keep: str) -> str:
    """`html` with its timestamped manage/unsubscribe tokens replaced by those of `keep`."""
    pattern = r"/(manage|unsubscribe)/[^/\"]+/"
    kept = {m.group(1): m.group(0) for m in re.finditer(pattern, keep)}
    return re.sub(pattern, lambda m: kept[m.group(1)], html)


def test_the_list_unsubscribe_url_unsubscribes_in_one_click(
    subscriber: Subscriber, papers: list[Paper], client
) -> None:
    message = build_digest(subscriber, DAY, items_for(papers))
    assert message is not None
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    # What Gmail and Yahoo do (RFC 8058): POST the header's body, no cookies, no CSRF token.
    response = client.post(urlsplit(url).path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
