"""Nightly ranking speed: N subscribers x M new papers, on the production code path.

    .venv/bin/python bench/rank.py --subscribers 100000 --papers 1000 [--config minilm|lsa]

Papers are real (rankeval.py's arxiv-ml task, built into a temporary directory from
../shared/data); the catalogue is what is not new. Subscriber models are synthetic but made of
real fitted ones: models fitted on real profiles (5 liked papers of an arXiv category, or the
category's name as keywords) are recombined into N subscribers of 1-3 interests, some with
categories, followed authors and already-sent papers, and stored as bytes, as in the database.
Timed (wall_s): load every stored model, rank, build every recommendation row with its
explanation (`load_models` + `rank_chunks` + the row tuples, as the nightly job writes them).
Not timed: encoding the new papers (reported per 1,000 as encode_s_per_1k). Then
arxiv-sanity-lite's approach (a LinearSVC per subscriber over tf-idf, trained at send time) runs
on a sample, and ratio_vs_asl is its time per subscriber over ours.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ranking.core import (  # noqa: E402
    CONFIGS,
    DEFAULT_CONFIG,
    Paper,
    Profile,
    ProfileFitter,
    RankSettings,
    SubscriberModel,
    build_encoder,
    encode_papers,
    load_models,
    rank_chunks,
)

RANKEVAL = ROOT.parent / "shared" / "tools" / "rankeval.py"


def load_task(work: Path) -> tuple[list[Paper], list[str], list[dict]]:
    task = work / "arxiv-ml"
    subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [sys.executable, str(RANKEVAL), "build", "arxiv-ml", str(task), "--seed", "13"],
        check=True,
        capture_output=True,
    )
    papers = []
    for line in (task / "papers.jsonl").read_text().splitlines():
        d = json.loads(line)
        papers.append(Paper(d["id"], d["title"], d["abstract"], categories=tuple(d["categories"])))
    cands = (task / "candidates.txt").read_text().split()
    profiles = [json.loads(x) for x in (task / "profiles.jsonl").read_text().splitlines()]
    return papers, cands, profiles


def new_papers(papers: list[Paper], cands: list[str], m: int, rng: random.Random) -> list[Paper]:
    by_id = {p.id: p for p in papers}
    base = [by_id[c] for c in cands]
    out = []
    for i in range(m):
        p = base[i % len(base)]
        trending = rng.choice([0] * 9 + [rng.randint(1, 300)])
        author = f"Author {rng.randint(0, 5000)}"
        out.append(replace(p, id=f"{p.id}-{i}", trending=trending, authors=(author,)))
    return out


def synth_models(pool: list[SubscriberModel], n: int, cands: list[Paper], seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    interests = [i for m in pool for i in m.interests]
    cats = sorted({c for p in cands for c in p.categories})
    stored = []
    for s in range(n):
        picked = [
            interests[k] for k in rng.choice(len(interests), rng.integers(1, 4), replace=False)
        ]
        mine = []
        for k, i in enumerate(picked):
            noise = rng.normal(0, 0.1 * float(np.abs(i.weights).mean()), i.weights.shape)
            mine.append(
                replace(i, name=f"interest {k}", weights=(i.weights + noise).astype(np.float32))
            )
        m = SubscriberModel(
            profile_id=f"s{s}",
            fingerprint=pool[0].fingerprint,
            interests=mine,
            categories=frozenset(rng.choice(cats, 1)) if rng.random() < 0.1 else frozenset(),
            authors=frozenset({f"a author{rng.integers(0, 5000)}"})
            if rng.random() < 0.05
            else frozenset(),
            excluded_ids=frozenset(str(cands[j].id) for j in rng.choice(len(cands), 3)),
        )
        stored.append(m.to_bytes())
    return stored


_SHARED: dict[str, object] = {}


def _one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _worker(bounds: tuple[int, int]) -> int:
    s = _SHARED
    return _rank_range(s["stored"][bounds[0] : bounds[1]], s["tonight"], s["catalogue"], s["chunk"])


def nightly(stored: list[bytes], tonight, catalogue, chunk: int, workers: int) -> tuple[float, int]:
    """Like the nightly task: chunks of stored models, over `workers` processes (Celery workers)."""
    t0 = time.perf_counter()
    if workers <= 1:
        rows = _rank_range(stored, tonight, catalogue, chunk)
    else:
        import multiprocessing as mp

        _SHARED.update(stored=stored, tonight=tonight, catalogue=catalogue, chunk=chunk)
        step = -(-len(stored) // workers)
        parts = [(k, min(k + step, len(stored))) for k in range(0, len(stored), step)]
        # One BLAS thread per process, as config/celery_app.py sets for each Celery worker.
        with mp.get_context("fork").Pool(workers, initializer=_one_blas_thread) as pool:
            rows = sum(pool.map(_worker, parts))
    return time.perf_counter() - t0, rows


def _rank_range(stored: list[bytes], tonight, catalogue, chunk: int) -> int:
    """As ranking.services.recommend: load the stored models of a chunk, rank them, and build
    every recommendation row (the tuples the nightly job writes)."""
    settings = RankSettings(top=20, chunk_rows=chunk)
    rows = 0
    for start in range(0, len(stored), chunk):
        models = load_models(stored[start : start + chunk])
        for ranked in rank_chunks(models, tonight, settings, catalogue=catalogue):
            batch = list(ranked.rows())
            rows += len(batch)
    return rows


def asl_per_subscriber(
    papers: list[Paper], tonight_papers: list[Paper], liked: list[list[int]]
) -> float:
    """arxiv-sanity-lite send_emails.py: tf-idf over all papers, one LinearSVC per user."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    docs = [p.text for p in papers] + [p.text for p in tonight_papers]
    vec = TfidfVectorizer(
        strip_accents="unicode",
        stop_words="english",
        ngram_range=(1, 2),
        max_features=20000,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",  # noqa: S106 (a regex, not a secret)
    )
    X = vec.fit_transform(docs)
    Xnew = X[len(papers) :]
    t0 = time.perf_counter()
    for li in liked:
        y = np.zeros(X.shape[0])
        y[li] = 1
        clf = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01).fit(X, y)
        scores = clf.decision_function(Xnew)
        np.argsort(-scores)[:20]
    return (time.perf_counter() - t0) / len(liked)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--subscribers", type=int, default=100_000)
    p.add_argument("--papers", type=int, default=1000)
    p.add_argument("--config", default=DEFAULT_CONFIG, choices=CONFIGS)
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--asl-sample", type=int, default=20)
    p.add_argument("--workers", type=int, default=2, help="processes, as Celery workers would")
    a = p.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="paperboy-bench-") as tmp:
        papers, cand_ids, profiles = load_task(Path(tmp))
    new_ids = set(cand_ids)
    past = [x for x in papers if x.id not in new_ids]
    encoder, lsa = build_encoder(a.config, [x.text for x in past])
    catalogue = encode_papers(past, encoder, lsa.words)
    tonight_papers = new_papers(papers, cand_ids, a.papers, rng)
    t0 = time.perf_counter()
    tonight = encode_papers(tonight_papers, encoder, lsa.words)
    encode_s = time.perf_counter() - t0
    fitter = ProfileFitter(catalogue, encoder, lsa.words)
    real = [
        Profile(id=d["id"], keywords=tuple(d["keywords"]), liked_ids=tuple(d["liked"]))
        for d in profiles
    ]
    t0 = time.perf_counter()
    pool = [m for m in (fitter.fit(x) for x in real) if m.can_rank]
    fit_s = (time.perf_counter() - t0) / len(real)
    stored = synth_models(pool, a.subscribers, tonight_papers, seed=1)
    wall, rows = nightly(stored, tonight, catalogue, a.chunk, a.workers)
    # Peak resident memory of this process and, separately, of the largest worker.
    peak_mib = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        // 1024
    )
    liked = [[catalogue.index[i] for i in d["liked"]] for d in profiles if d["liked"]]
    asl = asl_per_subscriber(past, tonight_papers, liked[: a.asl_sample])
    ours = wall / a.subscribers
    print(
        f"config={a.config} dim={encoder.dim} workers={a.workers} "
        f"subscribers={a.subscribers} papers={a.papers} "
        f"rows={rows} fit_s_per_subscriber={fit_s:.3f} "
        f"stored_mib={sum(map(len, stored)) / 2**20:.0f} "
        f"ours_ms_per_subscriber={1000 * ours:.3f} asl_ms_per_subscriber={1000 * asl:.1f}"
    )
    print(
        f"RESULT wall_s={wall:.2f} peak_mib={peak_mib} "
        f"encode_s_per_1k={1000 * encode_s / a.papers:.2f} ratio_vs_asl={asl / ours:.0f}"
    )


if __name__ == "__main__":
    main()
