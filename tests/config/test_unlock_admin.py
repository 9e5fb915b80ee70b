"""`manage.py unlock_admin`: the operator clears failed admin login counts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.clock import FROZEN
from tests.config.test_admin_security import attempt

pytestmark = [pytest.mark.django_db, FROZEN]
HOME, OTHER = "198.51.100.1", "198.51.100.2"


@pytest.fixture(autouse=True)
def _limits(settings: SettingsWrapper) -> None:
    settings.ADMIN_LOGIN_FAILURES_PER_PAIR = "2/h"
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = "4/h"
    get_user_model().objects.create_superuser("boss", "boss@example.org", "right-pw-123")


def fail(client: Client, username: str, ip: str, times: int = 2) -> None:
    assert [attempt(client, username, "wrong", ip=ip) for _ in range(times)] == [200] * times


def unlock(*args: str) -> str:
    out = StringIO()
    call_command("unlock_admin", *args, stdout=out)
    return out.getvalue()


def test_it_clears_one_username_at_one_address(client: Client) -> None:
    fail(client, "boss", HOME)
    fail(client, "boss", OTHER)
    assert attempt(client, "boss", "right-pw-123", ip=HOME) == 429
    output = unlock("--username", "boss", "--address", HOME)
    assert output == f"unlock_admin: cleared 2 count(s) for username 'boss' and address {HOME}\n"
    assert attempt(client, "boss", "right-pw-123", ip=HOME) == 302
    client.logout()
    # The other address's count was not touched.
    assert attempt(client, "boss", "right-pw-123", ip=OTHER) == 429


def test_it_clears_a_username_at_every_address(client: Client, settings: SettingsWrapper) -> None:
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = "10/h"
    fail(client, "Boss", HOME)
    fail(client, "boss", OTHER)
    fail(client, "someone", OTHER)
    assert "cleared 2 count(s) for username 'boss'\n" in unlock("--username", "boss")
    for ip in (HOME, OTHER):
        assert attempt(client, "boss", "right-pw-123", ip=ip) == 302
        client.logout()
    assert attempt(client, "someone", "wrong", ip=OTHER) == 429


def test_it_clears_an_address_spraying_usernames(client: Client) -> None:
    for name in ("a", "b", "c", "d"):
        fail(client, name, HOME, times=1)
    assert attempt(client, "boss", "right-pw-123", ip=HOME) == 429
    assert "for address 198.51.100.1" in unlock("--address", HOME)
    assert attempt(client, "boss", "right-pw-123", ip=HOME) == 302


def test_without_arguments_it_clears_everything(client: Client) -> None:
    fail(client, "boss", HOME)
    fail(client, "x", OTHER)
    assert unlock() == "unlock_admin: cleared 4 count(s) for everyone\n"
    assert attempt(client, "boss", "right-pw-123", ip=HOME) == 302


def test_it_refuses_an_address_that_is_not_one() -> None:
    with pytest.raises(CommandError, match="--address: not an IP address"):
        unlock("--address", "198.51.100")
