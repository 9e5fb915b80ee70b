"""One spelling per mailbox: the canonical address used for uniqueness, suppression and sending.

`X@Bücher.example` and `x@xn--bcher-kva.example` are one mailbox. Paperboy stores, suppresses
and sends to the canonical form: the domain as IDNA A-labels (UTS #46 mapping, so case and
full-width forms fold too) and an ASCII local part lower-cased. Lower-casing is not guaranteed by
RFC 5321, but no mail provider we know of treats ASCII case there as two mailboxes, and two
subscriptions for one reader is the worse failure. A non-ASCII local part is only
NFC-normalised: lower-casing it is not safe (`İ` grows into two characters, and a long s, U+017F,
and `s` are different mailboxes to a server that compares bytes). Quoted local parts
(`"a@b"@example.org`) are valid but used by nobody we mail, and hide an `@` that other software
splits on: they are refused.
"""

from __future__ import annotations

import unicodedata

import idna
from django.core.exceptions import ValidationError

MAX_EMAIL_LENGTH = 254

# Names that never reach the public internet's mail (RFC 2606, RFC 6761, RFC 6762, RFC 8375 and
# the common private ones): a subscriber there cannot receive a digest, so none is accepted.
PRIVATE_SUFFIXES = frozenset(
    {"localhost", "localdomain", "local", "invalid", "internal", "intranet", "lan", "home",
     "corp", "private", "arpa", "onion"}
)  # fmt: skip


class AddressError(ValueError):
    """The text cannot be made into an address Paperboy can mail; the message says why."""


def canonical_address(email: str) -> str:
    """The canonical form of `email` (see the module docstring); `AddressError` if impossible."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        raise AddressError("An email address needs a name, an @ and a domain.")
    if domain.startswith("["):
        canonical_domain = domain.lower()  # an address literal: refused by `check_public`
    else:
        try:
            canonical_domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise AddressError(f"{domain!r} is not a valid domain name.") from exc
    if '"' in local or "\\" in local:
        raise AddressError('Use a plain address: quoted names ("a@b"@x.org) are not accepted.')
    local = local.lower() if local.isascii() else unicodedata.normalize("NFC", local)
    address = f"{local}@{canonical_domain}"
    # Some characters grow when lower-cased or encoded; the column must still hold the result.
    if len(address) > MAX_EMAIL_LENGTH:
        raise AddressError(f"An email address has at most {MAX_EMAIL_LENGTH} characters.")
    return address


def canonical_or_lower(email: str) -> str:
    """`canonical_address`, or the trimmed lower-case text for what a bounce report carries
    that is not a valid address (it must still match what was stored for it)."""
    try:
        return canonical_address(email)
    except AddressError:
        return email.strip().lower()


def check_public(address: str) -> None:
    """Raise `AddressError` unless the (canonical) address is at a dotted, public domain name."""
    domain = address.rpartition("@")[2]
    if domain.startswith("["):
        raise AddressError("Use an address at a domain name, not an IP address.")
    labels = domain.split(".")
    if len(labels) < 2:
        raise AddressError(
            f"Use an address at a public domain (like name@university.edu), not {domain!r}."
        )
    top = labels[-1]
    if top.isdigit():
        raise AddressError("Use an address at a domain name, not an IP address.")
    if top in PRIVATE_SUFFIXES:
        raise AddressError(f"Addresses at .{top} cannot receive mail from the internet.")


def display_address(address: str) -> str:
    """The address as its owner writes it: the domain back in Unicode (pages and greetings)."""
    local, _, domain = address.rpartition("@")
    if "xn--" not in domain:
        return address
    try:
        return f"{local}@{idna.decode(domain)}"
    except idna.IDNAError:
        return address


def validate_address(value: str) -> None:
    """A Django validator: canonical form possible and at a public domain."""
    try:
        check_public(canonical_address(value))
    except AddressError as exc:
        raise ValidationError(str(exc), code="invalid_address") from exc
