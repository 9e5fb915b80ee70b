"""The nightly delivery end to end: rank -> build -> render + send, on two Celery workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy_bench_nightly \
    REDIS_URL=redis://127.0.0.1:6379/12 \
    .venv/bin/python bench/nightly.py --subscribers 10000 --papers 1000

Creates --papers new papers and --subscribers daily subscribers due in the current UTC hour
(in an empty database: it refuses to run on one with subscribers unless --flush), starts
--workers (default two, the issue's figure) `celery -A config worker --concurrency 1`
processes and a local SMTP server that counts what it receives by Message-ID (--sink fast:
bench/smtpsink.py in its own process; --sink aiosmtpd: aiosmtpd in this process, as before),
enqueues the slot's `emails.tasks.run_nightly`, and waits until every digest row is settled.
With --rank precomputed (default) recommendations (20 per subscriber) are written in the
setup, so the rank stage finds them and skips (rank_s ~ 0); --rank real leaves them to
ranking.services.recommend, with every subscriber's model fitted and stored in the setup (as
the sign-up task does), so the stage ranks as on an ordinary night. --rate is
EMAIL_RATE_PER_SECOND for the run (default 100000:
measure capacity, not the provider's limit; at the production default of
100/s, 100,000 digests take 1,000 s by design).

rank_s/send_s are the stages' wall spans (first chunk start to last chunk end; stages overlap
because each chunk goes rank -> build -> send on its own), render_s the render time summed over
all workers, peak_mib the largest peak RSS of any worker process (sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("SITE_URL", "https://paperboy.example.org")
os.environ.setdefault("DEBUG", "false")  # DEBUG keeps every query in memory

import django  # noqa: E402
import psutil  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from smtpsink import Sink  # noqa: E402

WORDS = [
    *("graph", "neural", "network", "retrieval", "dense", "sparse", "contrastive", "learning"),
    *("transformer", "attention", "diffusion", "model", "language", "agent", "reasoning"),
    *("benchmark", "scaling", "robust", "causal", "optimal"),
]


class Counting:
    """An SMTP sink that keeps only each message's Message-ID."""

    def __init__(self) -> None:
        self.ids: Counter[bytes] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or b""
        start = data.find(b"Message-ID:")
        self.ids[data[start : data.find(b"\r\n", start)] if start >= 0 else b"?"] += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup(subscribers: int, papers: int, hour: int, precomputed: bool, flush: bool) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from ranking.models import Paper, Recommendation
    from subscriptions.models import Subscriber

    call_command("migrate", verbosity=0, interactive=False)
    if flush:
        call_command("flush", verbosity=0, interactive=False)
    if Subscriber.objects.exists():
        raise SystemExit("the database has subscribers: use an empty one, or pass --flush")
    rng = random.Random(7)
    now = timezone.now()
    pool = Paper.objects.bulk_create(
        Paper(
            canonical_id=f"2611.{n:05d}",
            title=" ".join(rng.choices(WORDS, k=8)).capitalize() + f" {n}",
            abstract=" ".join(rng.choices(WORDS, k=120)),
            authors=["Ada Lovelace", "Alan Turing"],
            categories=["cs.LG"],
            primary_category="cs.LG",
            abs_url=f"https://arxiv.org/abs/2611.{n:05d}",
            sources=["file"],
            first_seen=now,
        )
        for n in range(papers)
    )
    # A few hundred distinct keyword profiles, so --rank real can store every subscriber's
    # model from a few hundred fits (a steady-state night: models fitted at sign-up).
    profiles = [rng.sample(WORDS, 3) for _ in range(min(subscribers, 300))]
    readers = Subscriber.objects.bulk_create(
        Subscriber(
            email=f"bench{n}@example.org",
            status=Subscriber.Status.ACTIVE,
            confirmed_at=now,
            delivery_hour=hour,
            keywords=rng.choice(profiles),
        )
        for n in range(subscribers)
    )
    if not precomputed:
        store_models(readers)
        # Fitting the models encoded every paper; drop those encodings so that the night
        # encodes tonight's papers itself, as after a real ingestion.
        shutil.rmtree(Path(os.environ["RANKING_MODEL_DIR"]) / "minilm-cache", ignore_errors=True)
    if precomputed:
        batch: list[Recommendation] = []
        for reader in readers:
            for rank, paper in enumerate(rng.sample(pool, 20), start=1):
                batch.append(
                    Recommendation(
                        subscriber=reader,
                        paper=paper,
                        run_date=now.date(),
                        rank=rank,
                        score=1 - rank / 100,
                        explanation=f"Matches “{reader.keywords[0]}”",
                        interest=reader.keywords[0],
                    )
                )
            if len(batch) >= 20_000:
                Recommendation.objects.bulk_create(batch)
                batch = []
        Recommendation.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        # Planner statistics for the freshly loaded tables, as autovacuum would have gathered
        # on a live server (it is off on some, e.g. this machine's).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def store_models(readers: list[Any]) -> None:
    """Every subscriber's fitted model, stored as the sign-up task would have: one fit per
    distinct profile, copied under each subscriber's id (the profile hash ignores the id)."""
    from dataclasses import replace

    from ranking import core
    from ranking.models import SubscriberModel
    from ranking.services.encoding import workspace
    from ranking.services.recommend import build_profiles, profile_hash

    ws = workspace()
    fitter = core.ProfileFitter(ws.catalogue, ws.encoder, ws.lsa.words)
    fitted: dict[str, core.SubscriberModel] = {}
    batch = []
    profiles: dict[int, core.Profile] = {}
    for n, reader in enumerate(readers):
        if n % 5_000 == 0:  # a chunk's profiles in a few queries, as the nightly job reads them
            profiles = build_profiles(readers[n : n + 5_000])
        profile = profiles[reader.pk]
        digest = profile_hash(profile)
        if digest not in fitted:
            fitted[digest] = fitter.fit(profile)
        model = replace(fitted[digest], profile_id=str(reader.pk))
        batch.append(
            SubscriberModel(
                subscriber=reader, encoder=ws.fingerprint, profile_hash=digest,
                data=model.to_bytes(),
            )
        )  # fmt: skip
        if len(batch) >= 5_000:
            SubscriberModel.objects.bulk_create(batch)
            batch = []
    SubscriberModel.objects.bulk_create(batch)


class Sampler(threading.Thread):
    def __init__(self, processes: list[subprocess.Popen[bytes]]) -> None:
        super().__init__(daemon=True)
        self.roots = [psutil.Process(p.pid) for p in processes]
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}  # user + system seconds, latest sample
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for root in self.roots:
                try:
                    for proc in [root, *root.children(recursive=True)]:
                        rss = proc.memory_info().rss
                        self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
                        times = proc.cpu_times()
                        self.cpu[proc.pid] = times.user + times.system
                except psutil.Error:
                    pass
            time.sleep(0.2)


def sink_cpu(sink: Sink | None) -> dict[int, float]:
    if sink is None or sink.process.pid is None:
        return {}
    times = psutil.Process(sink.process.pid).cpu_times()
    return {sink.process.pid: times.user + times.system}


def start_workers(env: dict[str, str], logs: Path, count: int) -> list[subprocess.Popen[bytes]]:
    workers = []
    for n in range(count):
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1"]
        cmd += ["--loglevel", "WARNING", "--hostname", f"bench{n}@%h", "--without-gossip"]
        out = (logs / f"worker{n}.log").open("wb")
        workers.append(
            subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        )
    return workers


def wait_settled(total: int, slot: datetime, timeout: float) -> None:
    """Wait until the slot's run is done and every row settled. The run's row is polled, not
    the digests: counting 100,000 wide rows twice a second took a third of a core."""
    from emails.models import Digest, NightlyRun

    deadline = time.monotonic() + timeout
    checked = time.monotonic()
    while time.monotonic() < deadline:
        done = NightlyRun.objects.filter(slot=slot, status=NightlyRun.Status.DONE).exists()
        if done or time.monotonic() - checked > 30:  # also now and then: a sweep may finish it
            checked = time.monotonic()
            busy = Digest.objects.filter(state__in=["pending", "sending"]).exists()
            if Digest.objects.count() >= total and not busy:
                return
        time.sleep(0.5)
    raise SystemExit(f"not settled after {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--rank", choices=["precomputed", "real"], default="precomputed")
    parser.add_argument("--rate", type=float, default=100_000.0)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (issue: 2)")
    parser.add_argument("--sink", choices=["fast", "aiosmtpd"], default="fast")
    parser.add_argument("--flush", action="store_true", help="empty the database first")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    smtp = Counting()
    sink: Sink | None = None
    if args.sink == "fast":
        sink = Sink.start()  # before Django: the child process shares nothing
        port = sink.port
    else:
        port = free_port()
        controller = Controller(smtp, hostname="127.0.0.1", port=port)
        controller.start()
    os.environ.setdefault("RANKING_MODEL_DIR", tempfile.mkdtemp(prefix="paperboy-bench-models-"))
    os.environ.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_RATE_PER_SECOND=str(args.rate),
        DELIVERY_CHUNK_SIZE=str(args.chunk),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    django.setup()
    from emails.models import NightlyRun
    from emails.tasks import run_nightly

    slot = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.monotonic()
    setup(args.subscribers, args.papers, slot.hour, args.rank == "precomputed", args.flush)
    print(f"setup {time.monotonic() - started:.1f} s")
    logs = Path(os.environ.get("BENCH_LOG_DIR", tempfile.gettempdir()))
    workers = start_workers(dict(os.environ), logs, args.workers)
    sampler = Sampler(workers)
    sampler.start()
    try:
        time.sleep(3)  # workers connect
        cpu_before = {**sampler.cpu, **sink_cpu(sink)}
        started = time.monotonic()
        run_nightly.apply_async((slot.isoformat(),))
        wait_settled(args.subscribers, slot, args.timeout)
        wall = time.monotonic() - started
        time.sleep(0.5)  # a last sample
        worker_cpu = sum(v - cpu_before.get(k, 0.0) for k, v in sampler.cpu.items())
        smtp_cpu = sum(v - cpu_before.get(k, 0.0) for k, v in sink_cpu(sink).items())
    finally:
        sampler.stop.set()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=60)
        if sink is None:
            controller.stop()
            received, distinct = sum(smtp.ids.values()), len(smtp.ids)
        else:
            received, distinct = sink.stop()
    run = NightlyRun.objects.get(slot=slot)

    def span(stage: str) -> float:
        start, end = getattr(run, f"{stage}_started_at"), getattr(run, f"{stage}_finished_at")
        return (end - start).total_seconds() if start and end else 0.0

    duplicates = received - distinct
    peak = max(sampler.peaks.values(), default=0) // 2**20
    per_process = sorted(v // 2**20 for v in sampler.peaks.values())
    print(f"CPU seconds: workers {worker_cpu:.1f}, SMTP sink {smtp_cpu:.1f} (0 for aiosmtpd)")
    print(f"run: due {run.due} sent {run.sent} failed {run.failed} uncertain {run.uncertain}")
    print(
        f"stages: rank {span('rank'):.1f} s, build {span('build'):.1f} s, send {span('send'):.1f} s"
    )
    print(f"workers {args.workers}, sink {args.sink}; peak RSS per worker (MiB): {per_process}")
    print(
        f"RESULT wall_s={wall:.1f} rank_s={span('rank'):.1f} render_s={run.render_seconds:.1f} "
        f"send_s={span('send'):.1f} sent={distinct} duplicates={duplicates} peak_mib={peak}"
    )


if __name__ == "__main__":
    main()
