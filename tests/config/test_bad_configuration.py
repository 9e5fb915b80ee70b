"""Misconfiguration stops with one line naming the variable, never a traceback alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.procs import ROOT, base_env

pytestmark = pytest.mark.slow

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "paperboy.example.org",
    "SITE_URL": "https://paperboy.example.org",
    "DEFAULT_FROM_EMAIL": "Paperboy <digest@paperboy.example.org>",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = base_env(**{"DJANGO_SETTINGS_MODULE": "config.settings.local", **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql2://nope"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"SECRET_KEY_FILE": "/nonexistent/secret"}, "SECRET_KEY_FILE"),
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({**PRODUCTION, "DEFAULT_FROM_EMAIL": ""}, "DEFAULT_FROM_EMAIL"),
    ],
)
def test_it_explains_a_bad_setting_in_one_line(env: dict[str, str], variable: str | None) -> None:
    result = run_manage("check", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("paperboy: configuration error:")
    if variable:
        assert variable in lines[0]


def test_production_refuses_to_start_without_each_required_setting() -> None:
    for missing in ("SECRET_KEY", "SITE_URL", "DEFAULT_FROM_EMAIL"):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        environment = base_env(**env)
        environment.pop(missing, None)
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 2
        assert f"{missing} is not set" in result.stderr


def test_production_reads_secrets_from_files(tmp_path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("s" * 60 + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", SECRET_KEY_FILE=str(secret), **env)
    assert result.returncode == 0, result.stderr


def test_it_names_an_unreachable_redis() -> None:
    result = run_manage("check_services", REDIS_URL="redis://127.0.0.1:9/0")
    assert result.returncode == 1
    assert "REDIS_URL: cannot reach redis://127.0.0.1:9/0" in result.stderr
    assert "Traceback" not in result.stderr


def test_make_run_refuses_an_unreachable_redis() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "config.localrun"],
        cwd=ROOT, env=base_env(REDIS_URL="redis://127.0.0.1:9/0"),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip(),
    ]
    assert result.stderr.startswith("paperboy: REDIS_URL: cannot reach redis://127.0.0.1:9/0")
