"""Parse the plain-text "trending papers" page format (see ranking/fixtures/demo/ORIGIN.md).

Two banner lines, then alternating title and abstract lines; the first title is glued to the
page's "Subscribe" button text.
"""

from __future__ import annotations

from collections.abc import Iterator

from ranking.identifiers import title_id
from ranking.sources.base import PaperRecord

BANNER_PREFIX = "Get trending papers in your email inbox"
BUTTON_TEXT = "Subscribe"


class PageFormatError(ValueError):
    """The text is not in the trending-page format."""


def parse_seed_page(text: str, source: str = "file") -> Iterator[PaperRecord]:
    lines = [line.strip() for line in text.splitlines()]
    while lines and (not lines[0] or lines[0].startswith(BANNER_PREFIX)):
        lines.pop(0)
    lines = [line for line in lines if line]
    if lines and lines[0].startswith(BUTTON_TEXT):
        lines[0] = lines[0].removeprefix(BUTTON_TEXT)
    if len(lines) % 2:
        raise PageFormatError(
            f"expected alternating title and abstract lines, got an odd count ({len(lines)}); "
            f"the last title without an abstract is {lines[-1][:80]!r}"
        )
    for title, abstract in zip(lines[::2], lines[1::2], strict=True):
        yield PaperRecord(
            canonical_id=title_id(title), title=title, abstract=abstract, source=source
        )
