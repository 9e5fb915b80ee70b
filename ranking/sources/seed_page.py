"""Parse the plain-text "trending papers" page format (see ranking/fixtures/demo/ORIGIN.md).

Two banner lines, then alternating title and abstract lines; the first title is glued to the
page's "Subscribe" button text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ranking.identifiers import collapse_spaces, title_id
from ranking.sources.base import PaperRecord

BANNER_PREFIX = "Get trending papers in your email inbox"
BUTTON_TEXT = "Subscribe"
_FIRST_LINE_END = re.compile(r"\r\n?|\n")


class PageFormatError(ValueError):
    """The text is not in the trending-page format."""


def parse_seed_page(text: str, source: str = "file") -> Iterator[PaperRecord]:
    for _, record in numbered_seed_page(text, source):
        yield record


def line_end(text: str) -> str:
    """How the text's lines end, judged by the first: "\r" (classic Mac) or "\n" (with or
    without a "\r" before it). Any other CR is a stray character inside a line, not a break."""
    first = _FIRST_LINE_END.search(text)
    return "\r" if first is not None and first.group() == "\r" else "\n"


def split_lines(text: str) -> list[str]:
    """The text's lines. Not str.splitlines(), which also splits at U+2028, U+0085, \x0c or
    \x1c inside an abstract: one extra line shifts every later title onto an abstract."""
    return text.split(line_end(text))


def numbered_seed_page(text: str, source: str = "file") -> Iterator[tuple[int, PaperRecord]]:
    """Each paper with the line number of its title."""
    lines = [(n, collapse_spaces(line)) for n, line in enumerate(split_lines(text), start=1)]
    while lines and (not lines[0][1] or lines[0][1].startswith(BANNER_PREFIX)):
        lines.pop(0)
    lines = [(n, line) for n, line in lines if line]
    if lines and lines[0][1].startswith(BUTTON_TEXT):
        lines[0] = (lines[0][0], lines[0][1].removeprefix(BUTTON_TEXT).strip())
        lines = lines if lines[0][1] else lines[1:]
    if len(lines) % 2:
        raise PageFormatError(
            f"expected alternating title and abstract lines, got an odd count ({len(lines)}); "
            f"the last title without an abstract is {lines[-1][1][:80]!r} (line {lines[-1][0]})"
        )
    for (number, title), (_, abstract) in zip(lines[::2], lines[1::2], strict=True):
        yield (
            number,
            PaperRecord(
                canonical_id=title_id(title), title=title, abstract=abstract, source=source
            ),
        )
