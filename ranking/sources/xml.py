"""Strict XML parsing for feeds: a truncated document or an HTML page is an error, not data.

Entities are never expanded (no billion laughs, no file or network reads): a reference to one
stays an entity node whose text lxml's .text and findtext() silently stop at, so readers check
entity_references() and refuse the element, and read text with text_content().
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(body: bytes) -> etree._Element:
    """Parse strictly (no recovery); ValueError with a readable reason otherwise."""
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise ValueError(f"expected XML, got an HTML page: {_preview(body)}")
    try:
        return etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"malformed or truncated XML ({exc})") from exc


def entity_references(element: etree._Element) -> list[str]:
    """The unexpanded entity references ("&foo;") inside `element`, in document order."""
    return [str(node.text) for node in element.iter(etree.Entity)]


def text_content(element: etree._Element | None) -> str:
    """All the text inside `element`, its children's included; comments and processing
    instructions left out (.text alone stops at the first child, comment or entity)."""
    return "" if element is None else "".join(element.itertext())


def expect_root(namespace: str, tag: str) -> Callable[[bytes], None]:
    """A body validator for PoliteSession: well-formed XML whose root is {namespace}tag."""
    expected = f"{{{namespace}}}{tag}"

    def validate(body: bytes) -> None:
        root = parse_xml(body)
        if root.tag != expected:
            raise ValueError(f"expected a <{tag}> document, got <{etree.QName(root).localname}>")

    return validate


def _preview(body: bytes) -> str:
    text = body[:120].decode("utf-8", "replace")
    return " ".join(text.split())
