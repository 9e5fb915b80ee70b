"""What a digest shows, as plain data the templates read. Built once per digest and rendered by
either path of emails/render.py, so both paths see exactly the same values."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from emails import conf
from emails.links import LinkBuilder
from ranking.models import Paper
from ranking.text import clean_text, shorten_authors, trim

# Abstract length: a long digest gets shorter abstracts so it stays far below Gmail's 102 KB
# clipping limit (see the size test), a short one reads better with more.
ABSTRACT_CHARS = 300
ABSTRACT_CHARS_LONG_DIGEST = 140
LONG_DIGEST = 25
MAX_TITLE_CHARS = 300
MAX_EXPLANATION_CHARS = 160
MAX_INTEREST_CHARS = 80
OTHER_PICKS = "More for you"


@dataclass(frozen=True)
class DigestItem:
    """One recommended paper for one subscriber: what the ranking hands to `build_digest`."""

    paper: Paper
    score: float
    explanation: str
    interest: str = ""


@dataclass(frozen=True)
class PaperCard:
    """Everything shown about a paper that is the same in every subscriber's digest."""

    paper_id: int
    title: str
    authors: str
    meta: str
    abstract: str
    upvotes: int | None


@dataclass(frozen=True)
class Row:
    card: PaperCard
    click_url: str
    more_url: str
    less_url: str
    explanation: str


@dataclass(frozen=True)
class Section:
    heading: str
    rows: list[Row]


@dataclass(frozen=True)
class Recipient:
    """The subscriber as a digest needs them (built from the database by services)."""

    subscriber_id: int
    email: str
    token_version: int
    interests: tuple[str, ...]
    manage_url: str
    unsubscribe_url: str


@dataclass(frozen=True)
class DigestView:
    digest_id: int
    digest_date: date
    date_label: str
    count: int
    count_label: str
    preheader: str
    why: str
    email: str
    manage_url: str
    unsubscribe_url: str
    view_url: str
    sections: list[Section]
    show_headings: bool
    abstract_chars: int
    # Interests that have found nothing for a while, said once (emails/services/silent.py).
    silent_note: str = ""

    @property
    def quiet(self) -> bool:
        return self.count == 0

    @property
    def first_title(self) -> str:
        return self.sections[0].rows[0].card.title if self.count else ""

    @property
    def subject_title(self) -> str:
        return trim(self.first_title, 70)

    def as_context(self) -> dict[str, Any]:
        return {"digest": self}


def paper_card(paper: Paper, abstract_chars: int = ABSTRACT_CHARS) -> PaperCard:
    categories = [c for c in paper.categories[:3] if isinstance(c, str)] if paper.categories else []
    when = paper.published  # the catalogue's own date is not a publication date
    meta = [clean_text(c, 32) for c in categories]
    if when is not None:
        meta.append(f"{when.day} {when:%b %Y}")
    return PaperCard(
        paper_id=paper.pk,
        title=clean_text(paper.title, MAX_TITLE_CHARS) or "(untitled)",
        authors=shorten_authors(paper.authors),
        meta=" · ".join(m for m in meta if m),
        abstract=clean_text(paper.abstract, abstract_chars),
        upvotes=paper.upvotes or None,
    )


def abstract_chars_for(count: int) -> int:
    return ABSTRACT_CHARS_LONG_DIGEST if count > LONG_DIGEST else ABSTRACT_CHARS


def make_view(
    recipient: Recipient,
    digest_id: int,
    digest_date: date,
    items: Sequence[DigestItem],
    links: LinkBuilder,
    card_for: Callable[[Paper, int], PaperCard] = paper_card,
    silent_interests: Sequence[str] = (),
) -> DigestView:
    """The view model of one digest; `card_for` may return cached cards (a batch renderer)."""
    abstract_chars = abstract_chars_for(len(items))
    grouped: dict[str, list[Row]] = {}
    for item in items:
        card = card_for(item.paper, abstract_chars)
        click, more, less = links.paper_urls(digest_id, item.paper.pk, recipient.token_version)
        interest = clean_text(item.interest, MAX_INTEREST_CHARS)
        why = clean_text(item.explanation, MAX_EXPLANATION_CHARS) or _default_why(interest)
        grouped.setdefault(interest, []).append(Row(card, click, more, less, why))
    sections = [Section(heading or OTHER_PICKS, rows) for heading, rows in grouped.items()]
    return DigestView(
        digest_id=digest_id,
        digest_date=digest_date,
        date_label=f"{digest_date:%A} {digest_date.day} {digest_date:%B %Y}",
        count=len(items),
        count_label=_count_label(len(items)),
        preheader=_preheader(sections),
        why=describe_interests(recipient.interests),
        email=clean_text(recipient.email),
        manage_url=recipient.manage_url,
        unsubscribe_url=recipient.unsubscribe_url,
        view_url=links.view_url(digest_id, recipient.token_version),
        sections=sections,
        show_headings=len(sections) > 1,
        abstract_chars=abstract_chars,
        silent_note=_silent_note(silent_interests),
    )


def describe_interests(interests: Sequence[str], shown: int = 4) -> str:
    names = [clean_text(name, MAX_INTEREST_CHARS) for name in interests]
    names = [name for name in names if name]
    if len(names) > shown:
        return ", ".join(names[:shown]) + f" and {len(names) - shown} more"
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else "your interests"


def _silent_note(names: Sequence[str]) -> str:
    if not names:
        return ""
    quoted = describe_interests([f"“{clean_text(n, MAX_INTEREST_CHARS)}”" for n in names])
    days = conf.silent_interest_days()
    verb = "has" if len(names) == 1 else "have"
    return (
        f"{quoted} {verb} found nothing for you in {days} days. An interest may be too broad "
        "(in so many papers that none stands out) or too narrow."
    )


def _default_why(interest: str) -> str:
    return f"Matches your interest in {interest}." if interest else "Picked for your interests."


def _count_label(count: int) -> str:
    if count == 0:
        return "No new papers"
    return f"{count} new paper" + ("" if count == 1 else "s")


def _preheader(sections: list[Section]) -> str:
    rows = [row for section in sections for row in section.rows]
    if not rows:
        return "A quiet day: nothing new matched your interests."
    first = trim(rows[0].card.title, 110)
    return first if len(rows) == 1 else f"{first} · and {len(rows) - 1} more picked for you"


def strip_accents_for_header(text: str) -> str:
    """Fold text for a header phrase (List-Id): ASCII letters, digits and spaces only."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9 ]+", "", folded).strip() or "Paperboy"
