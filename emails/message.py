"""The one place every Paperboy email is built: render the template triplet, inline CSS, add
headers. Sending is the caller's job (a Celery task), never a view's."""

from __future__ import annotations

import logging
from email.header import Header
from email.policy import Compat32
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

import idna
import premailer
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

# Longest word a plain-text Subject may hold: a longer one cannot be folded at a space, and the
# folder would put it alone on a line after an empty "Subject:" (a leading space in clients).
_FOLDABLE_WORD = 60


class Email(EmailMultiAlternatives):
    """Django's message with a Subject that every client decodes to exactly what was meant.

    Django 5.2 RFC 2047-encodes a non-ASCII Subject without counting the "Subject: " before
    it, so the generator breaks the line before the first encoded word: the header starts with
    an empty line, which clients (and email.policy.default) read as a leading space.
    """

    def message(self, **kwargs: Any) -> Any:
        message = super().message(**kwargs)
        # Only the legacy (compat32) message has the fault; a message built with
        # email.policy.default (Django 6) is folded by the modern folder, which counts the name.
        if isinstance(message.policy, Compat32):
            # replace_header stores the Header as is, for the generator to fold knowing the
            # name's length (Django's __setitem__ would encode it again, name unknown).
            message.replace_header("Subject", subject_header(str(self.subject)))
        return message


def subject_header(subject: str) -> Header:
    """Plain ASCII folded at spaces when it can be; otherwise UTF-8 encoded words, which fold
    anywhere. Text that merely looks like an encoded word ("=?") is encoded too, so a keyword
    typed that way reads as typed rather than being decoded by the client."""
    words = subject.split()
    plain = (
        subject.isascii()
        and "=?" not in subject
        and max(map(len, words), default=0) <= _FOLDABLE_WORD
    )
    return Header(subject, "us-ascii" if plain else "utf-8", header_name="Subject")


def site_domain() -> str:
    """The host of SITE_URL (an IDN as its ASCII A-label): the right-hand side of every
    Message-ID, and the domain of List-Id and the feeds' tag URIs."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host


def build_email(
    template_prefix: str,
    to: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    body_text: str | None = None,
    body_html: str | None = None,
) -> EmailMultiAlternatives:
    """Build the message from `<template_prefix>/{subject.txt,body.txt,body.html}`.

    `template_prefix` is a template directory such as "emails/subscription_confirm". The HTML
    template should extend "emails/base.html". `body_text`/`body_html`, when given, are used
    instead of rendering that part (the HTML already inlined): the digest's fast renderer
    (emails/render.py) passes parts proven identical to what this function would render.
    """
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = _render_plain(f"{template_prefix}/subject.txt", context)
    if body_text is None:
        body_text = _render_plain(f"{template_prefix}/body.txt", context)
    if body_html is None:
        body_html = inline_css(render_to_string(f"{template_prefix}/body.html", context))
    message = Email(
        subject=" ".join(subject.split()),  # a header: no line breaks, ever
        body=body_text.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=automated_headers(headers),
    )
    message.attach_alternative(body_html, "text/html")
    return message


def automated_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """`headers` plus what every Paperboy email carries (the caller's values win).

    The Message-ID is made here, once per email, on the site's domain: Django would use the
    machine's name ("localhost" in a container), which spam filters count against us, and
    would make a new one each time the same message is handed to the backend again. Every
    email is sent by a program, never typed by a person: RFC 3834's Auto-Submitted tells
    auto-responders (vacation replies) not to answer it.
    """
    return {
        "Message-ID": make_msgid(domain=site_domain()),
        "Auto-Submitted": "auto-generated",
        **(headers or {}),
    }


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """Render a text part without HTML escaping: "<script>" in a keyword stays as typed."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def inline_css(html: str) -> str:
    """Move the <style> rules onto elements (mail clients drop <style>); never fetch anything.

    Rules that cannot be inlined (media queries such as dark mode) stay in a <style> block.
    premailer caches parsed rules (cache_css_parsing), so building a batch of digests that share
    a stylesheet parses it once.
    """
    return premailer.Premailer(
        html,
        allow_network=False,
        allow_loading_external_files=False,
        disable_validation=True,
        cache_css_parsing=True,
        strip_important=False,
        cssutils_logging_level=logging.CRITICAL,
    ).transform()
