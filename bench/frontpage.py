"""Front page server time with a large catalogue (default 100,000 papers).

    .venv/bin/python bench/frontpage.py [--papers 100000] [--warm 50] [--workdir DIR]

Uses a fresh SQLite file and an embedded Redis (the cache) in a temporary directory unless
DATABASE_URL / REDIS_URL are set (the catalogue is reused when it already has the papers).
Papers get random titles, abstracts (~120 words), authors and categories, published over the
last two years and first seen a day later; 5% trended on Hugging Face with upvotes; subscribers
liked and clicked some of the last week's papers. Requests go through Django's test client (URL
routing, middleware, view, template, the Redis cache): "cold" is the first request after the
cache is emptied (the daily list is built), "warm" the median of --warm requests after it.
Prints figures, then one RESULT line.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from benchenv import start_django

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "graph",
    "neural",
    "network",
    "retrieval",
    "dense",
    "sparse",
    "contrastive",
    "learning",
    "transformer",
    "attention",
    "diffusion",
    "model",
    "language",
    "agent",
    "reasoning",
    "benchmark",
    "scaling",
    "law",
    "robust",
    "policy",
    "reward",
    "vision",
    "segmentation",
    "protein",
    "molecule",
    "quantum",
    "circuit",
    "topology",
    "manifold",
    "surgery",
    "knot",
    "federated",
    "privacy",
    "inference",
    "decoding",
    "alignment",
    "preference",
    "optimisation",
    "token",
    "sparse",
    "mixture",
    "expert",
    "memory",
    "retrieval-augmented",
    "generation",
    "embedding",
    "kernel",
    "bayesian",
]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.IR", "cs.RO", "stat.ML", "math.GT", "quant-ph"]


def setup_environment(workdir: Path) -> None:
    start_django(workdir, DEBUG="false", ALLOWED_HOSTS="testserver")
    from django.conf import settings

    # Production serves hashed names from collectstatic's manifest; the bench has none.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def abstract(rng: random.Random) -> str:
    """~120 words: a fifth from the field's common words, the rest from a 20,000-word long tail
    (so a search for two common words matches thousands of papers, not all of them)."""
    words = [
        rng.choice(WORDS) if rng.random() < 0.2 else f"w{rng.randrange(20000)}" for _ in range(120)
    ]
    return " ".join(words).capitalize() + "."


def fill_catalogue(count: int, now: datetime) -> None:
    from django.db.models import F

    from ranking.models import Paper

    rng = random.Random(9)
    batch: list[Paper] = []
    for n in range(count):
        published = now - timedelta(days=rng.random() * 730)
        trended = rng.random() < 0.05
        categories = rng.sample(CATEGORIES, 2)
        batch.append(
            Paper(
                canonical_id=f"{2400 + n // 99999}.{n % 99999:05d}",
                title=sentence(rng, 9).capitalize(),
                abstract=abstract(rng),
                authors=[f"Author {rng.randrange(50000)}" for _ in range(rng.randint(1, 8))],
                categories=categories,
                primary_category=categories[0],
                published=published,
                upvotes=rng.randint(1, 300) if trended else None,
                trending_on=published.date() if trended else None,
                sources=["arxiv-oai"] + (["hf"] if trended else []),
                abs_url=f"https://arxiv.org/abs/{2400 + n // 99999}.{n % 99999:05d}",
            )
        )
        if len(batch) == 5000:
            Paper.objects.bulk_create(batch)
            batch = []
    Paper.objects.bulk_create(batch)
    # auto_now_add stamped every row "now"; a real catalogue saw each paper when it appeared.
    Paper.objects.update(first_seen=F("published") + timedelta(days=1))


def add_reader_signals(now: datetime) -> None:
    from emails.models import Digest, LinkEvent
    from ranking.models import Paper
    from subscriptions.models import Feedback, Subscriber

    rng = random.Random(11)
    recent = list(
        Paper.objects.filter(first_seen__gte=now - timedelta(days=7)).values_list("pk", flat=True)
    )
    readers = Subscriber.objects.bulk_create(
        Subscriber(email=f"bench{n}@example.org", status="active") for n in range(300)
    )
    digests = Digest.objects.bulk_create(
        Digest(subscriber=s, digest_date=now.date(), state="sent") for s in readers
    )
    likes = {(rng.choice(readers).pk, rng.choice(recent)) for _ in range(2000)}
    Feedback.objects.bulk_create(
        Feedback(subscriber_id=s, paper_id=p, kind="liked") for s, p in likes
    )
    LinkEvent.objects.bulk_create(
        LinkEvent(
            digest=rng.choice(digests), paper_id=rng.choice(recent), kind="click", counted=True
        )
        for _ in range(5000)
    )


def timed_get(client: object, url: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries), len(response.content)


def measure(
    client: object, url: str, warm: int, before_cold: Callable[[], None]
) -> dict[str, float]:
    before_cold()
    cold, cold_queries, size = timed_get(client, url)
    runs = [timed_get(client, url) for _ in range(warm)]
    times = sorted(r[0] for r in runs)
    return {
        "cold_ms": cold,
        "cold_queries": cold_queries,
        "warm_ms": statistics.median(times),
        "warm_p95_ms": times[int(len(times) * 0.95) - 1],
        "warm_queries": runs[-1][1],
        "kb": size / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--workdir", help="reuse this directory's SQLite catalogue between runs")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="paperboy-bench-front-"))
    workdir.mkdir(parents=True, exist_ok=True)
    setup_environment(workdir)

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from ranking.models import Paper

    now = timezone.now().replace(microsecond=0)
    start = time.perf_counter()
    if Paper.objects.count() < args.papers:
        fill_catalogue(args.papers - Paper.objects.count(), now)
        add_reader_signals(now)
    print(f"catalogue: {Paper.objects.count():,} papers ({time.perf_counter() - start:.1f} s)")
    client = Client()
    client.get("/")  # imports, template compilation, connections: not what is measured
    today = timezone.localdate().isoformat()
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    samples = list(Paper.objects.filter(upvotes__isnull=False).order_by("-pk")[:2])
    pages = {
        "front /": "/",
        "front page 3": "/?page=3",
        f"day {week_ago}": f"/day/{week_ago}/",
        "topic (keywords+categories)": "/topics/information-retrieval/",
        "search 'contrastive retrieval'": "/search/?q=contrastive+retrieval",
        "feed /feeds/trending/": "/feeds/trending/",
        # The first builds the similar-papers index (once per process and hour), the second
        # reuses it: its cold figure is a paper page whose similar papers are not cached yet.
        "paper page (builds the index)": f"/papers/{samples[0].canonical_id}/",
        "another paper page": f"/papers/{samples[1].canonical_id}/",
    }
    print(f"database: {connection.vendor}; today {today}; warm = median of {args.warm}")
    print(f"{'page':34} {'cold ms':>9} {'q':>3} {'warm ms':>9} {'p95 ms':>8} {'q':>3} {'KB':>6}")
    results = {}
    for name, url in pages.items():
        r = measure(client, url, args.warm, cache.clear)
        results[name] = r
        print(
            f"{name:34} {r['cold_ms']:9.1f} {r['cold_queries']:3d} {r['warm_ms']:9.1f} "
            f"{r['warm_p95_ms']:8.1f} {r['warm_queries']:3d} {r['kb']:6.1f}"
        )
    front = results["front /"]
    print(
        f"RESULT papers={Paper.objects.count()} db={connection.vendor} "
        f"front_cold_ms={front['cold_ms']:.1f} front_warm_ms={front['warm_ms']:.1f} "
        f"front_warm_p95_ms={front['warm_p95_ms']:.1f} front_warm_queries={front['warm_queries']}"
    )


if __name__ == "__main__":
    main()
