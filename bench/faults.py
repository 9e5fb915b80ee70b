"""Delivery under faults: one night per scenario on real processes, counted at the SMTP sink.

    .venv/bin/python bench/faults.py                          # every scenario, 300 subscribers
    .venv/bin/python bench/faults.py --scenarios healthy,worker_killed --subscribers 2000

Each scenario gets its own PostgreSQL database (`<name>_<scenario>`, a copy of a template
prepared once per run with --subscribers daily subscribers and 20 precomputed recommendations
each; the server is DATABASE_URL's, default postgres://postgres@127.0.0.1:5432/pb_faults), a
private `redis-server` without persistence on a free port, two `celery -A config worker
--concurrency 1` processes, `celery beat` (the production schedule minus the ingestion and
encoder entries: the recovery sweep runs when production would run it) and the SMTP sink of
bench/faultsink.py, all with the production settings (bench/fault_settings.py) and their
defaults unless --rate / --chunk say otherwise. The night is enqueued as beat enqueues it
(`emails.tasks.run_nightly` for the current UTC hour), then the fault:

- healthy: none (the baseline, measured in the same run).
- worker_killed: kill -9 of one worker (its process group) when ~30 % of the digests reached
  the sink (--fault-at), restarted 10 s later (--restart-after).
- both_workers_killed: both, at the same point, restarted 10 s later.
- redis_restart: redis-server killed at ~30 % and started again empty after --redis-down s.
- redis_restart_queued: run_nightly enqueued while no worker runs, Redis restarted empty, then
  the workers start: only the recovery sweep can still deliver the night.
- smtp_451: the sink answers 451 to every fifth DATA command, all night.
- smtp_away: the sink stops listening and drops its connections at ~30 %, for 60 s (--sink-away).
- run_enqueued_twice: run_nightly enqueued twice at once.

A scenario ends when every due digest is in a final state and the run is `done`, then --grace
seconds more (late duplicates), or at --deadline seconds after the night was enqueued, and
prints what it saw on one line:

    RESULT scenario=<name> due=<n> delivered_once=<n> lost=<n> duplicates=<n>
           recovery_s=<seconds> counters_ok=<yes|no>

due: subscribers due in the slot; delivered_once / duplicates: due recipients with exactly one
/ more than one message at the sink (Message-IDs counted per RCPT TO); lost: due recipients
with none at the end; recovery_s: from the fault to the last digest reaching the sink (healthy,
smtp_451, run_enqueued_twice: from the enqueue), `none` when any digest is lost; counters_ok:
the NightlyRun row is `done`, its due is the benchmark's, sent + failed + suppressed + skipped +
uncertain == due, chunks_done <= chunks, each of those counters equals the ledger's count of
Digest rows in that state (none left pending or sending), every `sent` row's Message-ID
reached the sink and nothing reached it for a row that is neither `sent` nor `uncertain`.
A DETAIL line before each RESULT says why (`problems=`), when the fault happened, the ledger,
the run's counters and what beat sent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faultnight import Night, Outcome, outcome  # noqa: E402
from faultsink import FaultSink  # noqa: E402
from faultstack import Stack, base_env, recreate_database  # noqa: E402

SCENARIOS = (
    "healthy",
    "worker_killed",
    "both_workers_killed",
    "redis_restart",
    "redis_restart_queued",
    "smtp_451",
    "smtp_away",
    "run_enqueued_twice",
)
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/pb_faults"


def fault_at(night: Night, fraction: float) -> Callable[[], bool]:
    """A trigger: true once `fraction` of the due digests reached the sink."""
    return lambda: night.sink.count() >= fraction * len(night.due)


def mark_fault(night: Night) -> None:
    night.fault = time.monotonic()


def prepare(night: Night, args: argparse.Namespace) -> Callable[[], bool] | None:
    """Start the scenario's processes and enqueue its night; the mid-run fault's trigger."""
    stack, name = night.stack, night.name
    stack.start_redis()
    stack.start_beat()
    if name == "smtp_451":
        night.sink.refuse_data(5)
    if name == "redis_restart_queued":
        night.started = time.monotonic()
        night.enqueue()
        time.sleep(1)
        restart_redis(night, args.redis_down)
        stack.start_workers()
        return None
    stack.start_workers()
    night.started = time.monotonic()
    night.enqueue()
    if name == "run_enqueued_twice":
        night.enqueue()
    if name in ("healthy", "smtp_451", "run_enqueued_twice"):
        night.fault = night.started
        return None
    return fault_at(night, args.fault_at)


def inject(night: Night, args: argparse.Namespace) -> None:
    """The mid-run fault, now."""
    stack, name = night.stack, night.name
    mark_fault(night)
    if name == "worker_killed":
        busy = stack.sending_worker(night.sink.port)
        victim = 0 if busy is None else busy
        night.notes.append(f"killed worker {victim} ({'idle' if busy is None else 'sending'})")
        stack.kill_worker(victim)
        night.later(args.restart_after, lambda: stack.start_workers([victim]))
    elif name == "both_workers_killed":
        for n in range(stack.worker_count):
            stack.kill_worker(n)
        night.later(args.restart_after, stack.start_workers)
    elif name == "redis_restart":
        restart_redis(night, args.redis_down)
    elif name == "smtp_away":
        night.sink.down()
        night.later(args.sink_away, night.sink.up)


def restart_redis(night: Night, down: float) -> None:
    mark_fault(night)
    night.stack.kill_redis()
    time.sleep(down)
    night.stack.start_redis()


def watch(night: Night, trigger: Callable[[], bool] | None, args: argparse.Namespace) -> None:
    """Poll the sink (fast, for the trigger) and the database (once a second) until the night
    is settled plus --grace, or the deadline."""
    deadline = night.started + args.deadline
    checked = 0.0
    settled_at: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if trigger is not None and trigger():
            trigger = None
            inject(night, args)
        for due_at, action in [t for t in night.timers if t[0] <= now]:
            night.timers.remove((due_at, action))
            action()
        if settled_at is None and now - checked >= 1.0:
            checked = now
            if trigger is None and not night.timers and night.settled():
                settled_at = now
        if settled_at is not None and now - settled_at >= args.grace:
            return
        time.sleep(0.05)
    night.notes.append(f"deadline {args.deadline:.0f} s")
    if trigger is not None:
        night.notes.append("fault never triggered")


def run_scenario(
    name: str, args: argparse.Namespace, sink: FaultSink, env: dict[str, str], workdir: Path
) -> str:
    scenario_dir = workdir / name
    scenario_dir.mkdir()
    shutil.copytree(workdir / "template-models", scenario_dir / "models")
    slot = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    db_url = recreate_database(args.database, f"{args.db_name}_{name}", f"{args.db_name}_template")
    env = {**env, "DATABASE_URL": db_url, "PAPERBOY_VAR_DIR": str(scenario_dir)}
    env["RANKING_MODEL_DIR"] = str(scenario_dir / "models")
    stack = Stack(env, scenario_dir, workers=2)
    night = Night(name, stack, sink, db_url, slot, set())
    night.query("UPDATE subscriptions_subscriber SET delivery_hour = %s", slot.hour)
    night.query("UPDATE ranking_recommendation SET run_date = %s", slot.date())
    night.due = {e for (e,) in night.query("SELECT LOWER(email) FROM subscriptions_subscriber")}
    sink.reset()
    try:
        watch(night, prepare(night, args), args)
    finally:
        stack.stop()
    result = outcome(night, sink.received())
    print(detail(night, result), flush=True)
    return (
        f"RESULT scenario={name} due={len(night.due)} delivered_once={result.delivered_once} "
        f"lost={result.lost} duplicates={result.duplicates} "
        f"recovery_s={_seconds(result.recovery_s)} counters_ok={'no' if result.problems else 'yes'}"
    )


def detail(night: Night, result: Outcome) -> str:
    fault = "-" if night.fault is None else f"{night.fault - night.started:.1f}"
    run = night.run() or {}
    counters = ",".join(f"{k}:{v}" for k, v in run.items())
    ledger = ",".join(f"{k}:{v}" for k, v in sorted(night.ledger().items()))
    beat = ",".join(f"{k}:{v}" for k, v in sorted(night.stack.beat_sent().items()))
    return (
        f"DETAIL scenario={night.name} fault_at_s={fault} last_digest_s={_seconds(result.last_s)} "
        f"ledger={ledger or '-'} run={counters or '-'} beat_sent={beat or '-'} "
        f"problems={'; '.join(result.problems) or '-'} notes={'; '.join(night.notes) or '-'}"
    )


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f}"


def prepare_template(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> None:
    """Migrate the template database and fill it (bench/nightly.py's setup), then fit the
    encoder and encode the papers into a model directory every scenario copies: each night
    then starts from the same state, tonight's papers already encoded."""
    url = recreate_database(args.database, f"{args.db_name}_template")
    env = {**env, "DATABASE_URL": url, "RANKING_MODEL_DIR": str(workdir / "template-models")}
    env["PAPERBOY_VAR_DIR"] = str(workdir)
    cmd = [sys.executable, __file__, "--fill-template", str(args.subscribers), str(args.papers)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=1800)  # noqa: S603


def fill_template(subscribers: int, papers: int) -> None:
    """In a subprocess, with DATABASE_URL pointing at the template (see prepare_template)."""
    import django

    django.setup()
    from nightly import setup

    import emails
    from ranking.services.encoding import workspace

    if not Path(emails.__file__).is_relative_to(ROOT):  # the editable install's tree instead
        raise SystemExit(f"the code under test is {emails.__file__}, not under {ROOT}")

    setup(subscribers, papers, hour=0, precomputed=True, flush=False)
    workspace()


def revision() -> str:
    """The code measured: the tree the workers run, its commit and its uncommitted delivery
    files (a working tree may differ from its commit; a `git archive` export has no commit)."""
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        status = _git("status", "--short", "--", "emails", "config").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return f"code={ROOT} commit=? (not a git checkout)"
    dirty = ",".join(line[3:] for line in status) or "-"
    return f"code={ROOT} commit={head} uncommitted_delivery_files={dirty}"


def _git(*arguments: str) -> str:
    command = ["git", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout  # noqa: S603


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--deadline", type=float, default=600, help="s after the enqueue")
    parser.add_argument("--grace", type=float, default=10, help="s watched after settling")
    parser.add_argument("--fault-at", type=float, default=0.3, help="fraction delivered")
    parser.add_argument("--restart-after", type=float, default=10)
    parser.add_argument("--redis-down", type=float, default=2)
    parser.add_argument("--sink-away", type=float, default=60)
    parser.add_argument("--rate", help="EMAIL_RATE_PER_SECOND (default: production's)")
    parser.add_argument("--chunk", help="DELIVERY_CHUNK_SIZE (default: production's)")
    parser.add_argument("--workdir", type=Path, help="logs and beat files (default: a temp dir)")
    parser.add_argument("--fill-template", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.database = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    args.db_name = args.database.rsplit("/", 1)[1]
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    args = parse_args()
    if args.fill_template:
        fill_template(*args.fill_template)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="paperboy-faults-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sink = FaultSink.start()
    overrides = {"EMAIL_PORT": str(sink.port)}
    if args.rate:
        overrides["EMAIL_RATE_PER_SECOND"] = args.rate
    if args.chunk:
        overrides["DELIVERY_CHUNK_SIZE"] = args.chunk
    env = base_env(**overrides)
    print(f"{revision()} subscribers={args.subscribers} workdir={workdir}", flush=True)
    started = time.monotonic()
    prepare_template(args, env, workdir)
    print(f"template ready in {time.monotonic() - started:.1f} s", flush=True)
    results = []
    try:
        for name in args.scenarios.split(","):
            results.append(run_scenario(name, args, sink, env, workdir))
            print(results[-1], flush=True)
    finally:
        sink.stop()
    print("\n".join(results))


if __name__ == "__main__":
    main()
