from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from subscriptions import tokens


def test_it_round_trips_subscriber_and_version() -> None:
    token = tokens.make_token("manage", 42, 3)
    assert tokens.read_token(token, "manage") == tokens.TokenPayload(subscriber_id=42, version=3)


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [("manage", "unsubscribe"), ("confirm", "manage"), ("unsubscribe", "confirm")],
)
def test_it_says_when_a_token_is_for_another_purpose(made_for, used_for) -> None:
    token = tokens.make_token(made_for, 1, 1)
    with pytest.raises(tokens.WrongPurpose) as error:
        tokens.read_token(token, used_for)
    assert error.value.purpose == made_for


@pytest.mark.parametrize("token", ["", "x", "abc:def", "a" * 400, "eyJzIjoxLCJ2IjoxfQ:bad:sig"])
def test_it_rejects_garbage(token: str) -> None:
    with pytest.raises(tokens.BadToken):
        tokens.read_token(token, "manage")


def test_it_rejects_a_tampered_token() -> None:
    token = tokens.make_token("manage", 1, 1)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(tokens.BadToken):
        tokens.read_token(tampered, "manage")


def test_it_expires_when_given_a_max_age() -> None:
    with time_machine.travel("2026-01-01 00:00Z", tick=False):
        token = tokens.make_token("confirm", 1, 1)
    with time_machine.travel("2026-01-09 00:00Z", tick=False), pytest.raises(tokens.ExpiredToken):
        tokens.read_token(token, "confirm", max_age=timedelta(days=7))
    with time_machine.travel("2026-01-07 00:00Z", tick=False):
        assert tokens.read_token(token, "confirm", max_age=timedelta(days=7)).subscriber_id == 1
