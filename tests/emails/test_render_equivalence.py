"""The fast renderer (premailer once per paper) must produce exactly the reference output
(render the whole email, premailer the whole email): same bytes, both parts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.links import LinkBuilder
from emails.render import DigestRenderer, render_reference
from emails.viewmodel import DigestItem, DigestView, Recipient, make_view
from ranking.models import Paper

DAY = date(2026, 11, 26)
NASTY = [
    '<script>alert("x")</script> & <b>bold</b> </td></tr></table>',
    "{{ digest.email }} {% now 'Y' %} {# comment #}",
    "100% of 50%s %(name)s ${x} \\n",
    "تعلم الآلة العميق · עברית · mixed العربية English",
    "🚀🔥 Emoji 👩‍🔬 with ZWJ and flags 🇪🇺",
    r"$\mathcal{O}(n^2)$ bounds for $\alpha$-divergence \\ \frac{a}{b} & <x>",
    "control\x00chars\x07 and \u202e override\ttab\r\nnewline",
    "quotes \" ' ` and entities &amp; &lt; &#39; &nbsp;",
]


def paper(n: int, **fields: object) -> Paper:
    when = datetime(2026, 11, 25, tzinfo=UTC)
    values: dict[str, object] = {
        "pk": n,
        "canonical_id": f"2611.{n:05d}",
        "title": f"A paper number {n}",
        "abstract": "word " * 80,
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "stat.ML"],
        "published": when,
        "first_seen": when,
        "last_changed": when,
        "abs_url": f"https://arxiv.org/abs/2611.{n:05d}",
        "upvotes": n if n % 2 else None,
        **fields,
    }
    return Paper(**values)


def recipient(interests: tuple[str, ...] = ("retrieval", "graphs")) -> Recipient:
    return Recipient(
        subscriber_id=1,
        email="o'brien+papers&more@example.org",
        token_version=2,
        interests=interests,
        manage_url="http://testserver/manage/abc:def/",
        unsubscribe_url="http://testserver/unsubscribe/abc:def/",
    )


def view_of(
    items: list[DigestItem], who: Recipient | None = None, digest_id: int = 9
) -> DigestView:
    return make_view(who or recipient(), digest_id, DAY, items, LinkBuilder())


def assert_same(view: DigestView, renderer: DigestRenderer | None = None) -> tuple[str, str]:
    fast = (renderer or DigestRenderer()).render(view)
    assert fast is not None
    assert fast == render_reference(view)
    return fast


def test_one_paper_without_sections_is_identical() -> None:
    assert_same(view_of([DigestItem(paper(1), 0.9, "Matches retrieval", "retrieval")]))


def test_many_papers_in_sections_are_identical() -> None:
    interests = ["retrieval", "graphs", "", "diffusion"]
    items = [DigestItem(paper(n), 1 / n, f"Why {n}", interests[n % 4]) for n in range(1, 51)]
    view = view_of(items)
    assert view.show_headings
    assert_same(view)


@pytest.mark.parametrize("nasty", NASTY)
def test_hostile_text_everywhere_is_identical(nasty: str) -> None:
    items = [
        DigestItem(paper(1, title=nasty, abstract=nasty * 5), 0.9, nasty, nasty),
        DigestItem(paper(2, authors=[nasty] * 3000, categories=[nasty]), 0.8, nasty, "other"),
        DigestItem(paper(3, abstract="", authors=[], categories=[], upvotes=None), 0.7, "", ""),
    ]
    who = recipient(interests=(nasty, "x"))
    assert_same(view_of(items, who))


def test_placeholder_lookalikes_from_a_subscriber_are_plain_text() -> None:
    renderer = DigestRenderer()
    lookalike = f"PB{renderer._nonce}CLICK_URLQ and PBCUT0Z"
    items = [DigestItem(paper(1), 0.9, lookalike, lookalike)]
    text, _ = assert_same(view_of(items, recipient(interests=(lookalike,))), renderer)
    assert f"Why: {lookalike}" in text


def test_a_paper_that_looks_like_a_placeholder_takes_the_reference_path() -> None:
    renderer = DigestRenderer()
    lookalike = f"PB{renderer._nonce}CLICK_URLQ"
    view = view_of([DigestItem(paper(1, title=lookalike), 0.9, "why")])
    assert renderer.render(view) is None
    assert lookalike in render_reference(view)[0]


def test_the_cache_serves_many_digests_identically() -> None:
    renderer = DigestRenderer()
    pool = [paper(n) for n in range(1, 31)]
    for digest_id in range(1, 8):
        chosen = pool[digest_id : digest_id + 20]
        items = [DigestItem(p, 0.5, f"For digest {digest_id}", "retrieval") for p in chosen]
        assert_same(view_of(items, digest_id=digest_id), renderer)


def test_a_full_cache_starts_over_without_losing_a_digests_pieces() -> None:
    renderer = DigestRenderer(max_papers=5)
    items = [DigestItem(paper(n), 0.5, "why", "retrieval") for n in range(1, 5)]
    assert_same(view_of(items), renderer)
    more = [DigestItem(paper(n), 0.5, "why", "retrieval") for n in range(3, 7)]
    assert_same(view_of(more), renderer)


def test_a_changed_paper_is_inlined_again() -> None:
    renderer = DigestRenderer()
    assert_same(view_of([DigestItem(paper(1), 0.9, "why")]), renderer)
    later = datetime(2026, 11, 26, tzinfo=UTC)
    changed = paper(1, title="A corrected title", last_changed=later)
    text, _ = assert_same(view_of([DigestItem(changed, 0.9, "why")]), renderer)
    assert "A corrected title" in text


def test_a_changed_site_name_rebuilds_the_shell(settings: SettingsWrapper) -> None:
    renderer = DigestRenderer()
    assert_same(view_of([DigestItem(paper(1), 0.9, "why")]), renderer)
    settings.SITE_NAME = "Lab <Digest> & Co"
    _, html = assert_same(view_of([DigestItem(paper(1), 0.9, "why")]), renderer)
    assert "Lab &lt;Digest&gt; &amp; Co" in html


def test_it_declines_urls_it_cannot_prove_identical(settings: SettingsWrapper) -> None:
    settings.SITE_URL = "https://example.org/o'brien"
    view = view_of([DigestItem(paper(1), 0.9, "why")])
    assert DigestRenderer().render(view) is None


def test_it_declines_an_empty_day() -> None:
    assert DigestRenderer().render(view_of([])) is None


@examples(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    explanation=st.text(max_size=120),
    interest=st.text(max_size=40),
    title=st.text(min_size=1, max_size=80),
)
def test_any_text_renders_identically(explanation: str, interest: str, title: str) -> None:
    items = [
        DigestItem(paper(1, title=title), 0.9, explanation, interest),
        DigestItem(paper(2), 0.5, explanation[::-1], "second"),
    ]
    assert_same(view_of(items))
