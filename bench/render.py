"""Digest rendering: the fast path (premailer once per paper, emails/render.py) against the
naive path (render each whole email, then premailer it), side by side in one run.

    .venv/bin/python bench/render.py --subscribers 10000

Every subscriber gets --per-digest papers drawn from a shared pool of --papers, with their own
signed links and explanations, exactly as `digest_email` builds them (message object
included). The naive path runs on the first --naive-sample subscribers (all by default; it is
~20x slower) and each of its emails is compared byte for byte with the fast path's.
max_kb is the largest HTML part of a 50-paper digest. No database or network is used.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("SITE_URL", "https://paperboy.example.org")

import django

django.setup()

from emails.links import LinkBuilder  # noqa: E402
from emails.message import build_email  # noqa: E402
from emails.models import Digest  # noqa: E402
from emails.render import PREFIX, DigestRenderer  # noqa: E402
from emails.services.digest import digest_headers, message_id_for  # noqa: E402
from emails.viewmodel import DigestItem, Recipient, make_view  # noqa: E402
from ranking.models import Paper  # noqa: E402
from subscriptions.models import Subscriber  # noqa: E402
from subscriptions.services.links import manage_url, unsubscribe_url  # noqa: E402

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
    "efficient",
    "sparse",
    "mixture",
    "experts",
    "quantum",
    "optimisation",
    "bayesian",
    "inference",
    "causal",
    "representation",
    "vision",
    "multimodal",
    "alignment",
    "reward",
    "policy",
    "gradient",
    "federated",
    "privacy",
    "protein",
    "folding",
    "molecule",
    "kernel",
    "spectral",
    "stochastic",
    "convergence",
    "theorem",
    "bound",
    "regret",
    "bandit",
]
INTERESTS = ["Graph learning", "retrieval", "cs.CL", "diffusion", "papers by Ada Lovelace"]
DAY = date(2026, 11, 26)


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def make_papers(count: int, rng: random.Random) -> list[Paper]:
    published = datetime(2026, 11, 25, tzinfo=UTC)
    return [
        Paper(
            pk=n,
            canonical_id=f"2611.{n:05d}",
            title=words(rng, rng.randint(6, 16)).capitalize() + " (ε-δ ≤ 1)",
            abstract=words(rng, rng.randint(120, 250)),
            authors=[f"Author {n}-{k} Surname" for k in range(rng.randint(1, 12))],
            categories=rng.sample(["cs.LG", "cs.CL", "cs.IR", "stat.ML", "cs.CV"], 2),
            published=published,
            first_seen=published,
            last_changed=published,
            abs_url=f"https://arxiv.org/abs/2611.{n:05d}",
            upvotes=rng.choice([None, None, rng.randint(1, 300)]),
        )
        for n in range(1, count + 1)
    ]


def make_job(n: int, pool: list[Paper], per_digest: int, rng: random.Random) -> tuple:
    subscriber = Subscriber(pk=n, email=f"reader{n}@example.org", token_version=1)
    interests = tuple(rng.sample(INTERESTS, rng.randint(1, 3)))
    recipient = Recipient(
        subscriber_id=n,
        email=subscriber.email,
        token_version=1,
        interests=interests,
        manage_url=manage_url(subscriber),
        unsubscribe_url=unsubscribe_url(subscriber),
    )
    items = [
        DigestItem(
            paper=paper,
            score=rng.random(),
            explanation=f"Matches “{rng.choice(WORDS)}” and “{rng.choice(WORDS)}”; "
            f"similar to a paper you liked",
            interest=rng.choice(interests),
        )
        for paper in rng.sample(pool, per_digest)
    ]
    digest = Digest(pk=n, subscriber=subscriber, digest_date=DAY)
    digest.message_id = message_id_for(digest)
    return digest, recipient, items


def build(job: tuple, links: LinkBuilder, renderer: DigestRenderer | None):
    digest, recipient, items = job
    headers = digest_headers(digest, recipient)
    if renderer is None:
        view = make_view(recipient, digest.pk, DAY, items, links)
        return build_email(PREFIX, recipient.email, view.as_context(), headers)
    view = make_view(recipient, digest.pk, DAY, items, links, card_for=renderer.card)
    text, html = renderer.render(view) or (None, None)
    return build_email(
        PREFIX, recipient.email, view.as_context(), headers, body_text=text, body_html=html
    )


def html_of(message) -> str:
    return message.alternatives[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=1_000)
    parser.add_argument("--per-digest", type=int, default=20)
    parser.add_argument("--naive-sample", type=int, default=0, help="0: every subscriber")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = make_papers(args.papers, rng)
    jobs = [make_job(n, pool, args.per_digest, rng) for n in range(1, args.subscribers + 1)]
    sample = jobs[: args.naive_sample or len(jobs)]
    links = LinkBuilder()

    renderer = DigestRenderer()
    started = time.perf_counter()
    renderer.warm(pool, digest_sizes=[args.per_digest])  # the night's pool, inlined once
    fast_html = [html_of(build(job, links, renderer)) for job in sample]
    for job in jobs[len(sample) :]:
        build(job, links, renderer)
    fast_s = time.perf_counter() - started

    started = time.perf_counter()
    naive_html = [html_of(build(job, links, None)) for job in sample]
    naive_s = time.perf_counter() - started

    mismatches = sum(a != b for a, b in zip(fast_html, naive_html, strict=True))
    big = [make_job(n, pool, 50, rng) for n in range(1, 6)]
    max_kb = max(len(html_of(build(job, links, renderer)).encode()) for job in big) / 1024
    fast_ms = fast_s * 1000 / len(jobs)
    naive_ms = naive_s * 1000 / len(sample)
    print(f"digests: {len(jobs)} fast ({args.per_digest} papers each from a pool of {len(pool)})")
    print(f"fast:  {fast_s:.2f} s total, {fast_ms:.3f} ms/digest (includes inlining the pool)")
    print(f"naive: {naive_s:.2f} s for {len(sample)}, {naive_ms:.3f} ms/digest")
    print(f"byte-identical HTML: {len(sample) - mismatches}/{len(sample)}")
    print(f"largest 50-paper digest HTML: {max_kb:.1f} KB")
    if mismatches:
        sys.exit(f"{mismatches} digests differ between the paths")
    print(
        f"RESULT ms_per_digest={fast_ms:.4f} naive_ms_per_digest={naive_ms:.4f} "
        f"speedup={naive_ms / fast_ms:.1f} max_kb={max_kb:.1f}"
    )


if __name__ == "__main__":
    main()
