"""`GET /healthz`: is this instance fit to serve, and is the nightly delivery keeping up?

- `ok`: the database and Redis answer, the latest hourly delivery run is recent and did not
  fail, and beat's heartbeat is fresh.
- `degraded` (still HTTP 200, so a container orchestrator does not restart a healthy web
  process over a mail problem): the latest run failed or is older than HEALTHZ_RUN_MAX_AGE,
  there is no run yet, beat's heartbeat is stale, or the last run that had anyone due left
  digests an operator must look at: `uncertain` ones (may or may not have arrived; never
  re-sent by themselves) or `failed` ones other than addresses now suppressed (a recipient's
  permanent refusal needs nobody). `?strict=1` answers 503 for this too, for an external
  monitor that should page someone.
- `down` (HTTP 503): the database or Redis does not answer.

Cheap on purpose: one `SELECT 1`, one indexed query (a second only when the last run has failed
digests), one Redis PING and one GET. The body names no host, user or error text (those go to
the log), so it is safe to expose.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import connections
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from config import heartbeat

logger = logging.getLogger(__name__)
Check = dict[str, Any]
# The latest runs read at once: a day of hourly runs, to find the last one with anyone due.
RECENT_RUNS = 25


def _timed(name: str, probe: Callable[[], None]) -> Check:
    started = time.perf_counter()
    try:
        probe()
    except (DatabaseError, redis.RedisError, OSError) as exc:
        logger.warning("healthz: %s unavailable: %s", name, exc)
        return {"ok": False, "error": "unavailable"}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _ping_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_redis() -> None:
    heartbeat.client().ping()


def nightly_check() -> Check:
    from emails.models import NightlyRun  # the app registry is ready by request time

    fields = ("slot", "status", "due", "failed", "uncertain")
    runs = list(NightlyRun.objects.only(*fields).order_by("-slot")[:RECENT_RUNS])
    if not runs:
        return {"ok": False, "status": "none", "detail": "no delivery run yet"}
    run = runs[0]
    age = timezone.now() - run.slot
    max_age = timedelta(seconds=settings.HEALTHZ_RUN_MAX_AGE)
    check: Check = {"slot": run.slot.isoformat(), "status": run.status, **delivery_problems(runs)}
    if run.status == NightlyRun.Status.FAILED:
        return {**check, "ok": False, "detail": "the latest delivery run failed"}
    if age > max_age:
        return {**check, "ok": False, "detail": f"no delivery run for {int(age.total_seconds())} s"}
    return {"ok": "detail" not in check, **check}


def delivery_problems(runs: list[Any]) -> Check:
    """Counts of the digests that need an operator in the last run that had anyone due (most
    hours have nobody due; a day's problems must not vanish behind them), with a detail when
    there are any."""
    last = next((run for run in runs if run.due), None)
    if last is None:
        return {}
    counts: Check = {"failed": last.failed, "uncertain": last.uncertain}
    rejected = _suppressed_failures(last.pk) if last.failed else 0
    if rejected:
        counts["rejected"] = rejected  # failed for good: the address is suppressed
    attention = [f"{last.uncertain} uncertain"] if last.uncertain else []
    if last.failed > rejected:
        attention.append(f"{last.failed - rejected} failed")
    if attention:
        counts["detail"] = (
            f"{' and '.join(attention)} digests in the run of {last.slot:%Y-%m-%d %H:%M} UTC: "
            "see admin, Nightly runs"
        )
    return counts


def _suppressed_failures(run_id: int) -> int:
    from emails.models import Digest, Suppression

    return Digest.objects.filter(
        nightly_run_id=run_id,
        state=Digest.State.FAILED,
        subscriber__email__in=Suppression.objects.values("email"),
    ).count()


def beat_check() -> Check:
    age = heartbeat.age()
    if age is None:
        return {"ok": False, "detail": "no heartbeat from celery beat"}
    ok = age <= settings.BEAT_HEARTBEAT_MAX_AGE
    return {"ok": ok, "age_s": round(age, 1)}


def health() -> tuple[str, dict[str, Check]]:
    checks = {
        "database": _timed("database", _ping_database),
        "redis": _timed("redis", _ping_redis),
    }
    if not checks["database"]["ok"] or not checks["redis"]["ok"]:
        return "down", checks
    try:
        checks["nightly"] = nightly_check()
        checks["beat"] = beat_check()
    except (DatabaseError, redis.RedisError, OSError) as exc:
        logger.warning("healthz: nightly checks failed: %s", exc)
        return "down", checks
    status = "ok" if all(check["ok"] for check in checks.values()) else "degraded"
    return status, checks


def healthz(request: HttpRequest) -> JsonResponse:
    status, checks = health()
    strict = request.GET.get("strict") in {"1", "true", "yes"}
    failing = status == "down" or (strict and status == "degraded")
    response = JsonResponse({"status": status, "checks": checks}, status=503 if failing else 200)
    response["Cache-Control"] = "no-store"
    return response
