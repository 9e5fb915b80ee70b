"""Interest check server time (issue #16) with a large catalogue (default 100,000 papers).

    .venv/bin/python bench/interest_check.py [--papers 100000] [--per-day 1000] [--calls 50]
        [--workdir DIR]

Papers are the real arXiv titles and abstracts of ../shared/data/arxiv-abstracts (3,800 rows,
about 3,500 distinct papers; read in place, never copied), repeated under new ids up to
--papers, first seen --per-day a day going back from today, so the last 7 days hold 7 x
--per-day papers. Repeats keep the texts as they are: the sentence encoder then encodes each
distinct text once (a perturbed text would cost ~40 ms of MiniLM each, hours at 100,000). The
term index is fitted on the distinct texts (a repeated catalogue has the same vocabulary).

Uses a fresh SQLite file and an embedded Redis in a temporary directory unless DATABASE_URL /
REDIS_URL are set; --workdir keeps the catalogue, the encoder and its encoding cache between
runs. Measured in one warm process: `check_interests` over --calls calls of 1-5 interests
(keywords never asked before, so each call encodes its words; a category, an author or an
arXiv id now and then), against two baselines of the same run: encoding one new query with the
sentence encoder, and one plain database read (the first 25 papers of the front page's order).
Prints figures, then one RESULT line.
"""

from __future__ import annotations

import argparse
import ast
import csv
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchenv import ROOT, start_django

DATA = ROOT.parent / "shared" / "data" / "arxiv-abstracts"


def read_abstracts() -> list[dict[str, Any]]:
    """Distinct papers of the three files: title, abstract, categories, authors, arXiv id."""
    rows: list[dict[str, Any]] = []
    with (DATA / "gechhai-Topic_Discovery" / "arxiv_data.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            authors = [a.strip() for a in r["authors"].replace(" and ", ", ").split(",")]
            rows.append(
                {"title": r["title"], "abstract": r["abstract"],
                 "categories": r["categories"].split(), "authors": [a for a in authors if a],
                 "arxiv": f"{float(r['id']):09.4f}"}
            )  # fmt: skip
    with (DATA / "tiagoft-NLP" / "arxiv_data.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            cats = list(ast.literal_eval(r["terms"]))
            rows.append({"title": r["titles"], "abstract": r["summaries"], "categories": cats})
    with (DATA / "GuiBanzato-ProjetoCD" / "arxiv_data.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            cats = [r["category"]]
            rows.append({"title": r["title"], "abstract": r["summary"], "categories": cats})
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        r["title"] = " ".join(r["title"].split())
        r["abstract"] = " ".join(r["abstract"].split())
        seen.setdefault(r["title"].lower(), r)
    return list(seen.values())


def fill_catalogue(count: int, per_day: int, base: list[dict[str, Any]]) -> None:
    """`count` papers, the newest `per_day` first seen today, the next `per_day` yesterday..."""
    from django.utils import timezone

    from ranking.models import Paper

    rng = random.Random(0)
    start = Paper.objects.count()
    batch = []
    for i in range(start, start + count):
        r = base[i % len(base)]
        copy = i // len(base)
        real = r.get("arxiv") if copy == 0 else None
        authors = r.get("authors") or [f"Author {rng.randint(0, 5000)}"]
        batch.append(
            Paper(
                canonical_id=real or f"bench:{copy}:{i}", title=r["title"], abstract=r["abstract"],
                authors=authors, categories=r["categories"],
                primary_category=r["categories"][0] if r["categories"] else "",
                sources=["file"], upvotes=rng.choice([None] * 19 + [rng.randint(1, 300)]),
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Paper.objects.bulk_create(batch)
            batch = []
    Paper.objects.bulk_create(batch)
    now = timezone.now().replace(microsecond=0)
    pks = list(Paper.objects.order_by("-pk").values_list("pk", flat=True))
    for day in range(0, -(-len(pks) // per_day)):
        block = pks[day * per_day : (day + 1) * per_day]
        Paper.objects.filter(pk__gte=block[-1], pk__lte=block[0]).update(
            first_seen=now - timedelta(days=day, minutes=1)
        )


def ensure_encoder(base: list[dict[str, Any]]) -> None:
    from ranking import core
    from ranking.services import encoding

    path = encoding.encoder_path()
    if path.is_file():
        return
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    core.LsaEncoder().fit([f"{r['title']}. {r['abstract']}" for r in base]).save(path)
    print(f"encoder fitted on {len(base):,} distinct texts ({time.perf_counter() - started:.1f} s)")


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def interest_sets(calls: int, rng: random.Random) -> list[dict[str, list[str]]]:
    """--calls sets of 1-5 interests: new keyword phrases (real bigrams of the term index, two
    per line, never repeated), and now and then a category, an author or an arXiv id."""
    from ranking.models import Paper
    from ranking.services import encoding

    _, lsa = encoding.current_encoder()
    phrases = [t for t in lsa.words.terms.tolist() if " " in t and not any(c.isdigit() for c in t)]
    rng.shuffle(phrases)
    recent = list(Paper.objects.order_by("-pk")[:200])
    real_ids = list(
        Paper.objects.exclude(canonical_id__startswith="bench:").values_list(
            "canonical_id", flat=True
        )[:500]
    )
    sets = []
    for _ in range(calls):
        n = rng.randint(1, 5)
        chosen: dict[str, list[str]] = {"keywords": [], "categories": [], "authors": [],
                                        "seed_papers": []}  # fmt: skip
        for _ in range(n):
            kind = rng.choices(["keywords", "categories", "authors", "seed_papers"], [7, 1, 1, 1])[
                0
            ]
            if kind == "keywords":
                chosen[kind].append(f"{phrases.pop()} {phrases.pop()}")
            elif kind == "categories":
                chosen[kind].append(rng.choice(rng.choice(recent).categories or ["cs.LG"]))
            elif kind == "authors":
                chosen[kind].append(rng.choice(rng.choice(recent).authors))
            else:
                chosen[kind].append(rng.choice(real_ids) if real_ids else "2401.00001")
        sets.append(chosen)
    return sets


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--workdir", help="reuse this directory's catalogue and encoder")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="paperboy-bench-interest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    start_django(workdir, DEBUG="false")

    from django.db import connection

    from ranking.models import Paper
    from ranking.services import encoding
    from ranking.services.interest_check import check_interests

    base = read_abstracts()
    started = time.perf_counter()
    if Paper.objects.count() < args.papers:
        fill_catalogue(args.papers - Paper.objects.count(), args.per_day, base)
    print(f"catalogue: {Paper.objects.count():,} papers, {len(base):,} distinct texts "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    ensure_encoder(base)
    cold = timed(lambda: check_interests(["graph neural networks"]))
    print(f"first call (encodes the window and the background sample): {cold / 1000:.1f} s")

    rng = random.Random(7)
    sets = interest_sets(args.calls, rng)
    sentence = encoding.sentence_encoder()
    query_ms = [timed(lambda i=i: sentence.encode_query([f"baseline query {i} of the bench"]))
                for i in range(args.calls)]  # fmt: skip
    read_ms = [timed(lambda: list(Paper.objects.all()[:25])) for _ in range(args.calls)]
    check_ms = [timed(lambda s=s: check_interests(**s)) for s in sets]
    sizes = [sum(map(len, s.values())) for s in sets]

    print(f"machine: {platform.processor() or platform.machine()}, {connection.vendor}, "
          f"python {platform.python_version()}")  # fmt: skip
    print(f"{'':38} {'median ms':>10} {'p95 ms':>8}")
    for name, values in [
        (f"check_interests ({min(sizes)}-{max(sizes)} interests)", check_ms),
        ("baseline: encode one new query", query_ms),
        ("baseline: read 25 papers", read_ms),
    ]:
        print(f"{name:38} {statistics.median(values):10.1f} {percentile(values, 0.95):8.1f}")
    print(
        f"RESULT papers={Paper.objects.count()} window={7 * args.per_day} db={connection.vendor} "
        f"check_median_ms={statistics.median(check_ms):.1f} "
        f"check_p95_ms={percentile(check_ms, 0.95):.1f} "
        f"query_median_ms={statistics.median(query_ms):.1f} "
        f"read_median_ms={statistics.median(read_ms):.1f} cold_s={cold / 1000:.1f}"
    )


if __name__ == "__main__":
    main()
