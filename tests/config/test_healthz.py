"""GET /healthz: database, Redis, the latest delivery run and beat's heartbeat, as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from config import heartbeat
from emails.models import Digest, NightlyRun, Suppression
from tests.factories import SubscriberFactory
from tests.procs import ROOT, base_env

pytestmark = pytest.mark.django_db


def current_slot() -> object:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def healthy() -> None:
    NightlyRun.objects.create(slot=current_slot(), status=NightlyRun.Status.DONE)
    heartbeat.stamp()


def get(client: Client, url: str = "/healthz") -> tuple[int, dict[str, object]]:
    response = client.get(url)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_it_reports_ok_when_everything_answers(client: Client, healthy: None) -> None:
    status, body = get(client)
    assert (status, body["status"]) == (200, "ok")
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert set(checks) == {"database", "redis", "nightly", "beat"}
    assert all(check["ok"] for check in checks.values())


def test_it_answers_any_host_without_redirecting(
    client: Client, healthy: None, settings: SettingsWrapper
) -> None:
    # A container HEALTHCHECK calls http://127.0.0.1: no allowed host, no HTTPS.
    settings.ALLOWED_HOSTS = ["paperboy.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200


def test_a_failed_run_is_degraded_but_still_200(client: Client) -> None:
    NightlyRun.objects.create(slot=current_slot(), status=NightlyRun.Status.FAILED)
    heartbeat.stamp()
    status, body = get(client)
    assert (status, body["status"]) == (200, "degraded")
    assert body["checks"]["nightly"]["detail"] == "the latest delivery run failed"  # type: ignore[index]


def test_a_stale_run_is_degraded(client: Client, settings: SettingsWrapper) -> None:
    settings.HEALTHZ_RUN_MAX_AGE = 7200
    NightlyRun.objects.create(slot=current_slot() - timedelta(hours=5))  # type: ignore[operator]
    heartbeat.stamp()
    status, body = get(client)
    assert (status, body["status"]) == (200, "degraded")
    assert "no delivery run for" in body["checks"]["nightly"]["detail"]  # type: ignore[index]


def test_no_run_yet_and_no_beat_are_degraded(client: Client) -> None:
    _, body = get(client)
    assert body["status"] == "degraded"
    checks = body["checks"]
    assert checks["nightly"] == {"ok": False, "status": "none", "detail": "no delivery run yet"}  # type: ignore[index]
    assert checks["beat"] == {"ok": False, "detail": "no heartbeat from celery beat"}  # type: ignore[index]


def test_a_stale_beat_heartbeat_is_degraded(client: Client, settings: SettingsWrapper) -> None:
    NightlyRun.objects.create(slot=current_slot(), status=NightlyRun.Status.DONE)
    heartbeat.stamp(time.time() - settings.BEAT_HEARTBEAT_MAX_AGE - 60)
    _, body = get(client)
    assert body["status"] == "degraded"
    assert body["checks"]["beat"]["ok"] is False  # type: ignore[index]


def test_strict_mode_turns_degraded_into_503(client: Client) -> None:
    status, body = get(client, "/healthz?strict=1")
    assert (status, body["status"]) == (503, "degraded")


def test_an_unreachable_redis_is_down_with_503(client: Client, settings: SettingsWrapper) -> None:
    settings.REDIS_URL = "redis://:hunter2@127.0.0.1:9/0"
    status, body = get(client)
    assert (status, body["status"]) == (503, "down")
    assert body["checks"]["redis"] == {"ok": False, "error": "unavailable"}  # type: ignore[index]
    assert "hunter2" not in json.dumps(body)
    assert "127.0.0.1" not in json.dumps(body)


def test_an_unreachable_database_is_down_with_503(tmp_path) -> None:
    # A separate process on a database URL nothing answers: a real failed connection.
    script = (
        "from django.test import Client; r = Client().get('/healthz'); "
        "print(r.status_code); print(r.content.decode())"
    )
    env = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL="postgres://paperboy:s3cret-pw@127.0.0.1:9/paperboy",
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    payload = json.loads(body)
    assert payload["status"] == "down"
    assert payload["checks"]["database"] == {"ok": False, "error": "unavailable"}
    assert "s3cret-pw" not in body


def test_it_costs_a_handful_of_queries(
    client: Client, healthy: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        client.get("/healthz")


def problem_run(slot: object, **counts: int) -> NightlyRun:
    return NightlyRun.objects.create(slot=slot, status=NightlyRun.Status.DONE, **counts)


def test_uncertain_or_failed_digests_of_the_last_run_are_degraded_with_counts(
    client: Client,
) -> None:
    problem_run(current_slot(), due=100, sent=96, failed=1, uncertain=3)
    heartbeat.stamp()
    status, body = get(client)
    assert (status, body["status"]) == (200, "degraded")
    nightly = body["checks"]["nightly"]  # type: ignore[index]
    assert (nightly["ok"], nightly["failed"], nightly["uncertain"]) == (False, 1, 3)
    slot = f"{current_slot():%Y-%m-%d %H:%M}"
    assert nightly["detail"] == (
        f"3 uncertain and 1 failed digests in the run of {slot} UTC: see admin, Nightly runs"
    )


def test_a_later_hour_with_nobody_due_does_not_hide_them(client: Client) -> None:
    problem_run(current_slot() - timedelta(hours=3), due=10, sent=9, uncertain=1)  # type: ignore[operator]
    problem_run(current_slot())  # nobody due this hour
    heartbeat.stamp()
    _, body = get(client)
    assert body["status"] == "degraded"
    assert body["checks"]["nightly"]["uncertain"] == 1  # type: ignore[index]


def test_a_failure_whose_address_is_now_suppressed_needs_nobody(client: Client) -> None:
    run = problem_run(current_slot(), due=1, failed=1)
    reader = SubscriberFactory()
    Digest.objects.create(
        subscriber=reader, digest_date=run.slot.date(), state="failed", nightly_run=run
    )
    Suppression.objects.create(email=reader.email, reason="rejected")
    heartbeat.stamp()
    _, body = get(client)
    assert body["status"] == "ok"
    assert body["checks"]["nightly"] == {  # type: ignore[index]
        "ok": True, "slot": run.slot.isoformat(), "status": "done", "failed": 1, "uncertain": 0,
        "rejected": 1,
    }  # fmt: skip
