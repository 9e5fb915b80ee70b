"""System checks of the mail settings (registered in emails/apps.py; `check --deploy` only)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

import idna
from django.conf import settings
from django.core import checks

from emails.message import site_domain


def check_from_address(**kwargs: Any) -> list[checks.CheckMessage]:
    """DEFAULT_FROM_EMAIL's domain is SITE_URL's host, or one is a subdomain of the other.

    Receivers check that the From domain aligns with the domains that sign and send the mail
    (DMARC), and readers see a From unrelated to the links in the email as phishing. Related
    by subdomain is enough (paperboy@example.org for https://paperboy.example.org): a simple
    rule that needs no public-suffix list and still catches a copied-in default or a typo.
    """
    value = str(settings.DEFAULT_FROM_EMAIL)
    domain = from_domain(value)
    if domain is None:
        message = f"DEFAULT_FROM_EMAIL is not an email address with a domain: {value!r}"
        return [checks.Error(message, hint=_HINT, id="paperboy.E301")]
    site = site_domain()
    if related_domains(domain, site):
        return []
    message = (
        f"DEFAULT_FROM_EMAIL {value!r} sends from {domain}, which is neither SITE_URL's "
        f"host {site} nor a parent or subdomain of it"
    )
    return [checks.Warning(message, hint=_HINT, id="paperboy.W301")]


_HINT = (
    "Send from an address on the site's domain, e.g. DEFAULT_FROM_EMAIL="
    '"Paperboy <paperboy@your-site>", with SPF, DKIM and DMARC for it (docs/operations.md).'
)


def from_domain(value: str) -> str | None:
    """The domain of a From value ("Name <local@domain>"), lower case ASCII; None if none."""
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or "@" in local:
        return None
    try:
        return idna.encode(domain, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        return None


def related_domains(one: str, other: str) -> bool:
    one, other = one.lower().rstrip("."), other.lower().rstrip(".")
    return one == other or one.endswith("." + other) or other.endswith("." + one)
