"""Offline ranking on the production code path, in the interchange format of rankeval.py.

    python -m ranking.offline --papers papers.jsonl --profiles profiles.jsonl \\
        --candidates candidates.txt --top 20 --out rankings.jsonl [--config minilm|lsa]

Papers that are not candidates form the catalogue (what production has seen before tonight):
the encoder and every subscriber model are fitted on it, then tonight's candidates are ranked.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ranking.core import (
    CONFIGS,
    DEFAULT_CONFIG,
    EncoderUnavailable,
    Paper,
    Profile,
    ProfileFitter,
    RankSettings,
    build_encoder,
    encode_papers,
    rank_many,
)
from ranking.core.model import default_fit_settings


def read_papers(path: Path) -> list[Paper]:
    papers = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            papers.append(
                Paper(
                    id=str(d["id"]),
                    title=str(d.get("title") or ""),
                    abstract=str(d.get("abstract") or ""),
                    authors=tuple(d.get("authors") or ()),
                    categories=tuple(d.get("categories") or ()),
                    trending=int(d.get("trending") or d.get("upvotes") or 0),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{n}: not a paper record ({exc})") from exc
    return papers


def read_profiles(path: Path) -> Iterator[Profile]:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            yield Profile(
                id=str(d["id"]),
                keywords=tuple(d.get("keywords") or ()),
                negative_keywords=tuple(d.get("negative_keywords") or ()),
                categories=tuple(d.get("categories") or ()),
                authors=tuple(d.get("authors") or ()),
                liked_ids=tuple(map(str, d.get("liked") or ())),
                disliked_ids=tuple(map(str, d.get("disliked") or ())),
                seed_ids=tuple(map(str, d.get("seeds") or ())),
                sent_ids=frozenset(map(str, d.get("sent") or ())),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{n}: not a profile record ({exc})") from exc


def run(args: argparse.Namespace) -> dict[str, float]:
    t0 = time.perf_counter()
    papers = read_papers(args.papers)
    wanted = list(dict.fromkeys(args.candidates.read_text(encoding="utf-8").split()))
    by_id = {p.id: p for p in papers}
    candidates = [by_id[c] for c in wanted if c in by_id]
    new = {p.id for p in candidates}
    past = [p for p in papers if p.id not in new]
    encoder, lsa = build_encoder(args.config, [p.text for p in past], args.cache)
    catalogue = encode_papers(past, encoder, lsa.words)
    tonight = encode_papers(candidates, encoder, lsa.words)
    t_enc = time.perf_counter()
    fit = default_fit_settings(encoder)
    if args.text_only:
        fit = dataclasses.replace(fit, category_scale=0.0)
    fitter = ProfileFitter(catalogue, encoder, lsa.words, fit)
    profiles = list(read_profiles(args.profiles))
    models = [fitter.fit(p) for p in profiles]
    t_fit = time.perf_counter()
    settings = RankSettings(
        top=args.top, score_floor=args.floor, trending_weight=args.trending_weight
    )
    exclude = {p.id: tuple(p.sent_ids) for p in profiles}
    stats = {"profiles": len(models), "empty": 0, "unknown_papers": 0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for m, res in zip(
            models, rank_many(models, tonight, settings, exclude, catalogue), strict=True
        ):
            stats["unknown_papers"] += m.unknown_papers
            stats["empty"] += not res.recommendations
            row = {
                "profile": res.profile_id,
                "ranked": [r.paper_id for r in res.recommendations],
                "explanations": [r.explanation for r in res.recommendations],
                "scores": [r.score for r in res.recommendations],
            }
            if res.reason:
                row["reason"] = res.reason
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    t_end = time.perf_counter()
    return {
        **stats,
        "missing_candidates": len(wanted) - len(candidates),
        "encode_s": round(t_enc - t0, 2),
        "fit_s": round(t_fit - t_enc, 2),
        "rank_s": round(t_end - t_fit, 2),
    }


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m ranking.offline", description=__doc__.split("\n")[0]
    )
    p.add_argument("--papers", type=Path, required=True)
    p.add_argument("--profiles", type=Path, required=True)
    p.add_argument("--candidates", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--config", choices=CONFIGS, default=DEFAULT_CONFIG)
    p.add_argument("--floor", type=float, default=RankSettings.score_floor)
    p.add_argument("--trending-weight", type=float, default=RankSettings.trending_weight)
    p.add_argument("--cache", type=Path, help="directory for cached sentence encodings")
    p.add_argument(
        "--text-only",
        action="store_true",
        help="ignore the papers' categories (models learn from their text alone)",
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    for name in ("papers", "profiles", "candidates"):
        if not getattr(args, name).is_file():
            sys.stderr.write(f"error: --{name} {getattr(args, name)} is not a file\n")
            return 2
    try:
        stats = run(args)
    except EncoderUnavailable as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 3
    sys.stderr.write(json.dumps(stats) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
