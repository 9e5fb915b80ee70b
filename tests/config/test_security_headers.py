"""Security headers on every response: Permissions-Policy denies features we never use."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
DENIED = [
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "browsing-topics",
    "interest-cohort",
]


def permissions(client: Client, url: str, **extra: str) -> dict[str, str]:
    header = client.get(url, **extra).headers["Permissions-Policy"]
    return dict(part.strip().split("=", 1) for part in header.split(","))


@pytest.mark.parametrize("url", ["/", "/admin/login/", "/papers/", "/no-such-page/", "/healthz"])
def test_every_response_denies_the_features_we_never_use(client: Client, url: str) -> None:
    policy = permissions(client, url)
    for feature in DENIED:
        assert policy[feature] == "()", (url, feature)
    assert set(policy.values()) == {"()"}


def test_the_admin_behind_its_login_has_it_too(client: Client, admin_client: Client) -> None:
    assert permissions(admin_client, "/admin/")["camera"] == "()"
