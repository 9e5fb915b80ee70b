"""Signed, purpose-bound links for subscribers. No database access: callers check the version.

A token carries the subscriber id and their `token_version`; bumping the version revokes every
link issued before. Each purpose signs with its own salt, so a manage token can never
unsubscribe and a confirm token can never manage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.core import signing

Purpose = Literal["confirm", "manage", "unsubscribe", "feed"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "manage", "unsubscribe", "feed")
_SALT_PREFIX = "paperboy.subscriptions."
# Anything longer is not one of ours; refusing early keeps hostile input cheap.
MAX_TOKEN_LENGTH = 300


class TokenError(Exception):
    """The token cannot be used (the message is safe to show)."""


class BadToken(TokenError):
    """Tampered, truncated or not a token at all."""


class ExpiredToken(TokenError):
    """Genuine but older than allowed for its purpose."""


class WrongPurpose(TokenError):
    """Genuine, but issued for another action."""

    def __init__(self, purpose: Purpose) -> None:
        super().__init__(purpose)
        self.purpose = purpose


@dataclass(frozen=True)
class TokenPayload:
    subscriber_id: int
    version: int


def make_token(purpose: Purpose, subscriber_id: int, version: int) -> str:
    return signing.dumps({"s": subscriber_id, "v": version}, salt=_SALT_PREFIX + purpose)


def read_token(token: str, purpose: Purpose, max_age: timedelta | None = None) -> TokenPayload:
    """Verify `token` for `purpose`; raise a `TokenError` subclass saying why it is unusable."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadToken
    try:
        data = signing.loads(token, salt=_SALT_PREFIX + purpose, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredToken from exc
    except signing.BadSignature as exc:
        raise _other_purpose(token, purpose) or BadToken from exc
    except ValueError as exc:  # a valid signature over undecodable data: never ours
        raise BadToken from exc
    return _payload(data)


def _other_purpose(token: str, purpose: Purpose) -> WrongPurpose | None:
    for other in PURPOSES:
        if other == purpose:
            continue
        try:
            signing.loads(token, salt=_SALT_PREFIX + other)
        except (signing.BadSignature, ValueError):
            continue
        return WrongPurpose(other)
    return None


def _payload(data: object) -> TokenPayload:
    if not isinstance(data, dict):
        raise BadToken
    subscriber_id, version = data.get("s"), data.get("v")
    if type(subscriber_id) is not int or type(version) is not int:
        raise BadToken
    return TokenPayload(subscriber_id=subscriber_id, version=version)
