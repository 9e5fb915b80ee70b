"""Render a digest's text and HTML bodies: the reference path and the fast, equivalent one.

The reference ("naive") path is what `build_email` does for any template triplet: render the
whole body.html, then run premailer over the whole email. premailer dominates the cost and does
the same work for every subscriber, because a paper's block is the same in every digest except
for four values: its three signed links and its explanation.

The fast path therefore runs premailer once per paper and once for the digest shell, with
unique placeholders where the per-subscriber values go, and builds each digest by joining the
cached, already-inlined pieces and filling the placeholders. It is byte-identical to the
reference path (tests/emails/test_render_equivalence.py) because:

* each piece is inlined inside the real digest shell (a probe document), so every CSS selector
  sees the same ancestors it sees in a real digest; the stylesheet uses no sibling or position
  selectors, so a block's styles do not depend on its neighbours;
* libxml2 serialises every element the same way wherever it sits and separates sibling rows of
  a table with one newline, so rows cut from probes join with "\n" exactly as in a full render;
* the filled values are escaped as libxml2 serialises text (`&`, `<`, `>`) after `clean_text`
  removed control characters and collapsed whitespace (in both paths); URLs are filled only
  when made of characters libxml2 writes unchanged, otherwise `render` returns None and the
  caller uses the reference path.
"""

from __future__ import annotations

import html as html_lib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string

from emails.message import inline_css
from emails.viewmodel import DigestView, PaperCard, Row, Section, abstract_chars_for, paper_card
from ranking.models import Paper

PREFIX = "emails/digest"
_SHELL_FIELDS = (
    "date_label",
    "count_label",
    "preheader",
    "why",
    "email",
    "manage_url",
    "unsubscribe_url",
    "view_url",
)
_ROW_FIELDS = ("click_url", "more_url", "less_url", "explanation")
_URL_FIELDS = frozenset({"manage_url", "unsubscribe_url", "view_url", *_ROW_FIELDS[:3]})
_KNOWN_FIELDS = frozenset({*_SHELL_FIELDS, *_ROW_FIELDS, "heading"})
_SAFE_URL = re.compile(r"[A-Za-z0-9\-._~:/?=%+@,;#]+")
# Papers probed per premailer run: premailer's fixed cost per run is large, so batch.
PROBE_BATCH = 100


class RenderMismatch(Exception):
    """A probe did not have the expected shape; the caller falls back to the reference path."""


def site_context(view: DigestView) -> dict[str, Any]:
    """The context `build_email` renders with (it adds the same two site values)."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, "digest": view}


def render_plain(name: str, context: dict[str, Any]) -> str:
    """As emails.message renders text parts: no HTML escaping."""
    return str(get_template(name).template.render(Context(context, autoescape=False)))  # type: ignore[attr-defined]


def render_reference(view: DigestView) -> tuple[str, str]:
    """(text, html) by the reference path: whole-email render, whole-email premailer."""
    context = site_context(view)
    text = render_plain(f"{PREFIX}/body.txt", context)
    return text, inline_css(render_to_string(f"{PREFIX}/body.html", context))


class _Split:
    """A rendered piece cut at its placeholders: literal, field, literal, ..., literal."""

    __slots__ = ("fields", "literals")

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        pieces = pattern.split(text)
        self.literals = pieces[0::2]
        self.fields = [name.lower() for name in pieces[1::2]]

    def fill(self, values: Mapping[str, str], out: list[str]) -> None:
        literals = self.literals
        out.append(literals[0])
        for index, name in enumerate(self.fields, 1):
            out.append(values[name])
            out.append(literals[index])


class DigestRenderer:
    """The fast path, with its caches. One per process; not thread-safe (Celery prefork is)."""

    def __init__(self, max_papers: int = 20_000) -> None:
        self._nonce = secrets.token_hex(5).upper()
        self._pattern = re.compile(f"PB{self._nonce}([A-Z_]+)Q")
        self._max_papers = max_papers
        self._settings: tuple[str, str] | None = None
        self.clear()

    def clear(self) -> None:
        self._cards: dict[tuple[Any, ...], PaperCard] = {}
        # None marks a card whose own text looks like a placeholder: reference path only.
        self._rows: dict[PaperCard, tuple[_Split, _Split] | None] = {}
        self._shell: tuple[_Split, _Split, _Split, _Split] | None = None
        self._section: tuple[_Split, _Split] | None = None

    def card(self, paper: Paper, abstract_chars: int) -> PaperCard:
        """`paper_card`, cached for the batch (keyed on what changes when the paper does)."""
        key = (
            paper.pk,
            paper.last_changed,
            paper.title,
            paper.abstract,
            paper.upvotes,
            abstract_chars,
        )
        card = self._cards.get(key)
        if card is None:
            if len(self._cards) >= self._max_papers:
                self._cards.clear()
            card = self._cards[key] = paper_card(paper, abstract_chars)
        return card

    def render(self, view: DigestView) -> tuple[str, str] | None:
        """(text, html) identical to `render_reference(view)`, or None when not applicable."""
        if view.quiet or view.silent_note:  # rare emails: the reference path renders them
            return None
        self._check_settings()
        values = {name: getattr(view, name) for name in _SHELL_FIELDS}
        html_values = self._escaped(values)
        if html_values is None:
            return None
        try:
            self.prepare(row.card for section in view.sections for row in section.rows)
            return self._assemble(view, values, html_values)
        except RenderMismatch:
            return None

    def warm(self, papers: Iterable[Paper], digest_sizes: Iterable[int] = (20,)) -> None:
        """Inline a batch's paper pool up front (e.g. the night's new papers), PROBE_BATCH
        papers per premailer run, instead of a few at a time as digests first need them."""
        variants = sorted({abstract_chars_for(size) for size in digest_sizes})
        self.prepare([self.card(paper, chars) for paper in papers for chars in variants])

    def prepare(self, cards: Iterable[PaperCard]) -> None:
        """Inline every card not cached yet, PROBE_BATCH per premailer run."""
        self._check_settings()
        wanted = list(dict.fromkeys(cards))
        missing = [card for card in wanted if card not in self._rows]
        if len(self._rows) + len(missing) > self._max_papers:
            self._rows.clear()
            missing = wanted
        for start in range(0, len(missing), PROBE_BATCH):
            batch = missing[start : start + PROBE_BATCH]
            rows = [self._placeholder_row(card) for card in batch]
            sources = [str(render_to_string(f"{PREFIX}/_paper.html", {"row": row})) for row in rows]
            for card, row, piece in zip(batch, rows, self._probe(sources), strict=True):
                text = render_plain(f"{PREFIX}/_paper.txt", {"row": row})
                pieces = (self._split(piece), self._split(text))
                exact = all(sorted(p.fields) == sorted(_ROW_FIELDS) for p in pieces)
                self._rows[card] = pieces if exact else None

    def _assemble(
        self, view: DigestView, values: dict[str, str], html_values: dict[str, str]
    ) -> tuple[str, str] | None:
        html_before, html_after, text_before, text_after = self._shell_pieces()
        html_out: list[str] = []
        text_out: list[str] = []
        html_before.fill(html_values, html_out)
        text_before.fill(values, text_out)
        first = True
        for section in view.sections:
            pieces = []
            if view.show_headings:
                pieces.append((self._section_pieces(), {"heading": section.heading}))
            for row in section.rows:
                row_pieces = self._rows[row.card]
                if row_pieces is None:
                    return None
                pieces.append((row_pieces, _row_values(row)))
            for (html_piece, text_piece), row_values in pieces:
                escaped = self._escaped(row_values)
                if escaped is None:
                    return None
                if not first:
                    html_out.append("\n")
                first = False
                html_piece.fill(escaped, html_out)
                text_piece.fill(row_values, text_out)
        html_after.fill(html_values, html_out)
        text_after.fill(values, text_out)
        return "".join(text_out), "".join(html_out)

    def _escaped(self, values: dict[str, str]) -> dict[str, str] | None:
        escaped = {}
        for name, value in values.items():
            if name in _URL_FIELDS:
                if not _SAFE_URL.fullmatch(value):
                    return None
                escaped[name] = value
            else:
                escaped[name] = html_lib.escape(value, quote=False)
        return escaped

    def _check_settings(self) -> None:
        current = (settings.SITE_URL, settings.SITE_NAME)
        if current != self._settings:
            self.clear()
            self._settings = current

    def _ph(self, name: str) -> str:
        return f"PB{self._nonce}{name.upper()}Q"

    def _sentinel(self, index: int) -> str:
        return f"<tr><td>PB{self._nonce}CUT{index}Z</td></tr>"

    def _split(self, text: str) -> _Split:
        split = _Split(text, self._pattern)
        if not set(split.fields) <= _KNOWN_FIELDS:
            raise RenderMismatch(f"unexpected placeholder in {text[:80]!r}")
        return split

    def _placeholder_row(self, card: PaperCard) -> Row:
        return Row(card, *(self._ph(name) for name in _ROW_FIELDS))

    def _placeholder_view(self) -> DigestView:
        fields: dict[str, Any] = {name: self._ph(name) for name in _SHELL_FIELDS}
        return DigestView(
            digest_id=0,
            digest_date=date(2000, 1, 1),
            count=1,
            sections=[],
            show_headings=False,
            abstract_chars=0,
            **fields,
        )

    def _probe(self, sources: list[str]) -> list[str]:
        """Inline `sources` (rows) inside the digest shell; return each row as serialised."""
        probe_rows = "".join(self._sentinel(i) + "\n" + src for i, src in enumerate(sources))
        probe_rows += self._sentinel(len(sources))
        context = {**site_context(self._placeholder_view()), "probe_rows": probe_rows}
        out = inline_css(render_to_string(f"{PREFIX}/_probe.html", context))
        pieces = []
        for index in range(len(sources)):
            start = self._row_end(out, index)
            end = self._row_start(out, index + 1)
            piece = out[start:end]
            if not (piece.startswith("\n") and piece.endswith("\n")) or len(piece) < 2:
                raise RenderMismatch(piece[:80])
            pieces.append(piece[1:-1])
        return pieces

    def _row_end(self, out: str, index: int) -> int:
        marker = out.index(f"PB{self._nonce}CUT{index}Z")
        return out.index("</tr>", marker) + len("</tr>")

    def _row_start(self, out: str, index: int) -> int:
        marker = out.index(f"PB{self._nonce}CUT{index}Z")
        return out.rindex("<tr", 0, marker)

    def _shell_pieces(self) -> tuple[_Split, _Split, _Split, _Split]:
        if self._shell is None:
            # The newline stands for the one every included row ends with.
            probe_rows = self._sentinel(0) + "\n"
            context = {**site_context(self._placeholder_view()), "probe_rows": probe_rows}
            html = inline_css(render_to_string(f"{PREFIX}/_probe.html", context))
            before, after = html[: self._row_start(html, 0)], html[self._row_end(html, 0) :]
            context["probe_rows"] = marker = self._ph("rows")
            text_before, text_after = render_plain(f"{PREFIX}/_probe.txt", context).split(marker)
            self._shell = (
                self._split(before),
                self._split(after),
                self._split(text_before),
                self._split(text_after),
            )
        return self._shell

    def _section_pieces(self) -> tuple[_Split, _Split]:
        if self._section is None:
            section = Section(heading=self._ph("heading"), rows=[])
            source = render_to_string(f"{PREFIX}/_section.html", {"section": section})
            text = render_plain(f"{PREFIX}/_section.txt", {"section": section})
            self._section = (self._split(self._probe([source])[0]), self._split(text))
        return self._section


def _row_values(row: Row) -> dict[str, str]:
    return {
        "click_url": row.click_url,
        "more_url": row.more_url,
        "less_url": row.less_url,
        "explanation": row.explanation,
    }


_default: DigestRenderer | None = None


def default_renderer() -> DigestRenderer:
    """The process-wide fast renderer (its caches live as long as the worker)."""
    global _default
    if _default is None:
        _default = DigestRenderer()
    return _default
