"""The one place every Paperboy email is built: render the template triplet, inline CSS, add
headers. Sending is the caller's job (a Celery task), never a view's."""

from __future__ import annotations

import logging
from typing import Any

import premailer
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string


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
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a header: no line breaks, ever
        body=body_text.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=dict(headers or {}),
    )
    message.attach_alternative(body_html, "text/html")
    return message


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
