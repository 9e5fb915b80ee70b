"""`manage.py check --deploy` refuses what production must not run with."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from config.checks import (
    check_delivery_timing,
    check_retired_variables,
    check_site_url_is_https,
)
from tests.config.test_bad_configuration import PRODUCTION
from tests.procs import ROOT, base_env


@pytest.mark.parametrize(
    "url", ["http://paperboy.example.org", "paperboy.example.org", "https://", "ftp://x.org"]
)
def test_a_site_url_that_is_not_https_is_an_error(settings: SettingsWrapper, url: str) -> None:
    settings.SITE_URL = url
    (error,) = check_site_url_is_https()
    assert error.id == "paperboy.E101"
    assert error.msg == f"SITE_URL must be an https URL in production, got {url!r}"


def test_an_https_site_url_passes(settings: SettingsWrapper) -> None:
    settings.SITE_URL = "https://paperboy.example.org/digests"
    assert check_site_url_is_https() == []


def test_a_retired_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_LOGIN_RATE_PER_USER", "20/h")
    (warning,) = check_retired_variables()
    assert warning.id == "paperboy.W102"
    assert "ADMIN_LOGIN_RATE_PER_USER is no longer read" in warning.msg


@pytest.mark.slow
@pytest.mark.parametrize(("site_url", "code"), [("http://paperboy.example.org", 1), (None, 0)])
def test_check_deploy_with_production_settings(site_url: str | None, code: int) -> None:
    env = {**PRODUCTION, "SECRET_KEY": "k3Y-" * 15}
    if site_url:
        env["SITE_URL"] = site_url
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT, env=base_env(**env), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == code, result.stderr
    errors = [line for line in result.stderr.splitlines() if "paperboy.E101" in line]
    if code:
        assert errors == [
            "?: (paperboy.E101) SITE_URL must be an https URL in production, "
            "got 'http://paperboy.example.org'"
        ]
    else:
        assert errors == []


def test_the_retired_claim_timeout_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEND_CLAIM_TIMEOUT", "600")
    (warning,) = check_retired_variables()
    assert warning.msg.startswith("SEND_CLAIM_TIMEOUT is no longer read")
    assert "SEND_LEASE_SECONDS and SEND_QUEUE_TIMEOUT" in warning.msg


def test_a_lease_shorter_than_two_smtp_timeouts_is_warned_about(
    settings: SettingsWrapper,
) -> None:
    assert check_delivery_timing() == []
    settings.EMAIL_TIMEOUT, settings.SEND_LEASE_SECONDS = 45, 60
    (warning,) = check_delivery_timing()
    assert warning.id == "paperboy.W103"
    settings.DELIVERY_SWEEP_SECONDS = 0
    (error,) = check_delivery_timing()
    assert (error.id, error.msg) == (
        "paperboy.E103",
        "DELIVERY_SWEEP_SECONDS must be a positive number of seconds",
    )
