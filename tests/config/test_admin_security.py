"""Admin hardening: configurable URL, staff only, throttled login, no secrets on any page."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import clear_url_caches
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

import config.urls
from emails.models import NightlyRun
from tests.clock import FROZEN
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


@pytest.fixture
def admin_user() -> object:
    return get_user_model().objects.create_superuser("boss", "boss@example.org", "right-pw-123")


def attempt(client: Client, username: str, password: str, ip: str = "198.51.100.1") -> int:
    data = {"username": username, "password": password, "next": "/admin/"}
    return client.post(LOGIN, data, REMOTE_ADDR=ip).status_code


def test_the_admin_url_is_a_setting(settings: SettingsWrapper, client: Client) -> None:
    settings.ADMIN_URL = "ops/desk-7f3a/"
    importlib.reload(config.urls)
    clear_url_caches()
    try:
        assert client.get("/ops/desk-7f3a/login/").status_code == 200
        assert client.get("/admin/login/").status_code == 404
    finally:
        settings.ADMIN_URL = "admin/"
        importlib.reload(config.urls)
        clear_url_caches()


def test_a_logged_in_non_staff_user_is_sent_to_the_login_page(client: Client) -> None:
    user = get_user_model().objects.create_user("reader", "r@example.org", "pw-123456789")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_correct_login_works(client: Client, admin_user: object) -> None:
    assert attempt(client, "boss", "right-pw-123") == 302


@FROZEN
def test_password_guessing_one_username_from_one_address_is_refused(
    client: Client, admin_user: object, settings: SettingsWrapper
) -> None:
    settings.ADMIN_LOGIN_FAILURES_PER_PAIR = "5/15m"
    assert [attempt(client, "boss", f"guess-{n}") for n in range(5)] == [200] * 5
    response = client.post(
        LOGIN, {"username": "boss", "password": "right-pw-123"}, REMOTE_ADDR="198.51.100.1"
    )
    # Refused even with the right password: otherwise the guesser would learn it had found it.
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert b"Too many failed logins" in response.content
    assert b"5 failed logins for this username from your address" in response.content
    assert b"manage.py unlock_admin" in response.content
    # Another address is not punished for it.
    assert attempt(client, "boss", "right-pw-123", ip="198.51.100.2") == 302
    # Once the window has passed the first address may try again.
    later = timezone.now() + timedelta(seconds=int(response["Retry-After"]) + 1)
    with time_machine.travel(later, tick=False):
        assert attempt(client, "boss", "right-pw-123") == 302


@FROZEN
def test_failures_from_many_addresses_never_lock_the_owner_out(
    client: Client, admin_user: object
) -> None:
    # 22 wrong passwords from 11 addresses, and the guessing goes on while the owner logs in.
    codes = [attempt(client, "boss", "nope", ip=f"203.0.113.{n % 11}") for n in range(22)]
    assert codes == [200] * 22
    assert attempt(client, "boss", "right-pw-123", ip="192.0.2.200") == 302
    assert attempt(client, "boss", "nope", ip="203.0.113.3") == 200
    assert attempt(client, "boss", "right-pw-123", ip="192.0.2.201") == 302


@FROZEN
def test_a_successful_login_counts_nothing(client: Client, admin_user: object) -> None:
    for _ in range(8):
        assert attempt(client, "boss", "right-pw-123") == 302
        client.logout()


@FROZEN
def test_one_address_spraying_usernames_is_refused(
    client: Client, admin_user: object, settings: SettingsWrapper
) -> None:
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = "6/h"
    codes = [attempt(client, f"user{n}", "x") for n in range(7)]
    assert codes == [200] * 6 + [429]
    assert attempt(client, "boss", "right-pw-123") == 429
    assert attempt(client, "boss", "right-pw-123", ip="198.51.100.9") == 302


@FROZEN
def test_spoofed_forwarded_for_prefixes_do_not_evade_the_limit(
    client: Client, admin_user: object, settings: SettingsWrapper
) -> None:
    settings.RATELIMIT_IP_META_KEY = "config.proxy.forwarded_client_ip"
    settings.RATELIMIT_TRUSTED_PROXIES = 1
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = "3/m"
    codes = [
        client.post(
            LOGIN,
            {"username": f"user{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.77",  # spoofed, then what it saw
        ).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


@FROZEN
def test_one_ipv6_host_cannot_rotate_addresses_within_its_64(
    client: Client, admin_user: object, settings: SettingsWrapper
) -> None:
    settings.ADMIN_LOGIN_FAILURES_PER_PAIR = "3/15m"
    codes = [attempt(client, "boss", "x", ip=f"2001:db8:1:2::{n:x}") for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert attempt(client, "boss", "right-pw-123", ip="2001:db8:1:3::1") == 302


SECRETS = {
    "SECRET_KEY": "sk-" + "Z" * 40,
    "DELIVERY_WEBHOOK_SECRET": "whsec-generic-QQQQ",
    "EMAIL_HOST_PASSWORD": "smtp-pw-RRRR",
}


def test_no_admin_page_renders_a_secret(
    client: Client, admin_user: object, settings: SettingsWrapper
) -> None:
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.ANYMAIL = {"WEBHOOK_SECRET": "anymail:basic-SSSS"}
    PaperFactory()
    SubscriberFactory()
    NightlyRun.objects.create(slot="2026-01-01T00:00:00Z")
    client.force_login(admin_user)  # type: ignore[arg-type]
    index = client.get("/admin/").content.decode()
    pages = set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index))
    assert len(pages) >= 5
    for page in sorted(pages):
        listing = client.get(page)
        assert listing.status_code == 200, page
        html = listing.content.decode()
        change = re.search(rf'href="({re.escape(page)}\d+/change/[^"]*)"', html)
        if change:
            html += client.get(change.group(1).replace("&amp;", "&")).content.decode()
        for secret in [*SECRETS.values(), "anymail:basic-SSSS", "basic-SSSS"]:
            assert secret not in html, (page, secret)
