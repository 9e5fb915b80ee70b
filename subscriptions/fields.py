"""Form fields for the interest lists: one item per line or comma, bounded, control-free."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from subscriptions.arxiv_ids import InvalidArxivIdError, parse_arxiv_id

_SEPARATORS = re.compile(r"[\r\n,;]+")
_CATEGORY = re.compile(r"[a-z][a-z-]{1,15}(?:\.[A-Za-z-]{2,10})?")
# Catalogue ids of papers without an arXiv id ("subscribe to papers like this" on their page).
_CATALOGUE_ID = re.compile(r"title:[0-9a-f]{16}|doi:10\.\d{4,9}/\S{1,100}")


def has_control_chars(text: str) -> bool:
    """True for NUL, CR, LF, tabs and every other control or format character."""
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in text)


# Names contain commas ("Curie, Marie"): author lists split on lines and semicolons only.
LINE_SEPARATORS = re.compile(r"[\r\n;]+")


def split_items(text: str, separators: re.Pattern[str] = _SEPARATORS) -> list[str]:
    return [item.strip() for item in separators.split(text) if item.strip()]


class StringListField(forms.CharField):
    """A textarea that cleans to a de-duplicated list of short strings.

    `max_items`/`item_max_length` bound what a subscriber can store (a 10,000-character list is
    an error, not a truncation); `normalise` may raise ValidationError or return the item.
    """

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(
        self,
        *,
        max_items: int = 30,
        item_max_length: int = 80,
        normalise: Callable[[str], str] | None = None,
        separators: re.Pattern[str] = _SEPARATORS,
        **kwargs: Any,
    ) -> None:
        self.separators = separators
        self.max_items = max_items
        self.item_max_length = item_max_length
        self.normalise = normalise
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", max_items * (item_max_length + 2))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        return self._items(text or "")

    def _items(self, text: str) -> list[str]:
        items: list[str] = []
        bad: list[str] = []
        for raw in split_items(text, self.separators):
            item = self._item(raw, bad)
            if item is not None and item.casefold() not in {i.casefold() for i in items}:
                items.append(item)
        if bad:
            shown = ", ".join(repr(b[:40]) for b in bad[:3])
            raise ValidationError(f"Not valid: {shown}.", code="invalid_item")
        if len(items) > self.max_items:
            raise ValidationError(
                f"At most {self.max_items} entries, please (you gave {len(items)}).",
                code="too_many",
            )
        return items

    def _item(self, raw: str, bad: list[str]) -> str | None:
        if has_control_chars(raw) or len(raw) > self.item_max_length:
            bad.append(raw)
            return None
        if self.normalise is None:
            return raw
        try:
            return self.normalise(raw)
        except ValidationError:
            bad.append(raw)
            return None


class SingleLineEmailField(forms.EmailField):
    """An address, checked for header injection (CR/LF) before anything else looks at it."""

    def to_python(self, value: Any) -> str:
        if isinstance(value, str) and has_control_chars(value):
            raise ValidationError(
                "An email address cannot contain line breaks or control characters.",
                code="control_characters",
            )
        return str(super().to_python(value))


def normalise_category(text: str) -> str:
    archive, _, subject = text.partition(".")
    category = archive.lower() + (f".{subject}" if subject else "")
    if not _CATEGORY.fullmatch(category):
        raise ValidationError("not an arXiv category", code="invalid_category")
    return category


def normalise_arxiv_id(text: str) -> str:
    try:
        return parse_arxiv_id(text)
    except InvalidArxivIdError as exc:
        raise ValidationError("not an arXiv id or URL", code="invalid_arxiv_id") from exc


def normalise_seed_paper(text: str) -> str:
    """An arXiv id or URL (reduced to the base id), or the catalogue id of a paper without one."""
    if _CATALOGUE_ID.fullmatch(text.strip()):
        return text.strip()
    return normalise_arxiv_id(text)
