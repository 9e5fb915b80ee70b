"""What the score floor costs and buys: nDCG@20 at the top against precision of what is sent.

    .venv/bin/python bench/floor.py [--seed 13] [--work /tmp/paperboy-quality]

Runs `python -m ranking.offline` (text only: on arxiv-ml the category is the relevance label)
once per task with no floor, then cuts every list at each floor and scores what would be sent:
nDCG@20 of the cut list (rankeval's formula), precision (relevant papers among those sent, over
all sent), papers sent per profile, and the share of profiles sent nothing. A floor is worth its
place when nDCG@20 barely moves while precision rises and the irrelevant tail goes.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from quality import build, run

FLOORS = (None, 1.0, 1.5, 2.0, 2.5, 3.0)
K = 20


def cut(ranked: list[str], scores: list[float], floor: float | None) -> list[str]:
    if floor is None:
        return ranked[:K]
    return [p for p, s in zip(ranked, scores, strict=True) if s >= floor][:K]


def metrics(rows: list[dict], qrels: dict[str, set[str]], floor: float | None) -> dict:
    ndcg, sent, hits, empty = [], 0, 0, 0
    for row in rows:
        rel = qrels[row["profile"]]
        top = cut(row["ranked"], row["scores"], floor)
        got = [1 if p in rel else 0 for p in top]
        dcg = sum(h / math.log2(i + 2) for i, h in enumerate(got))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(len(rel), K)))
        ndcg.append(dcg / idcg if idcg else 0.0)
        sent += len(top)
        hits += sum(got)
        empty += not top
    n = max(1, len(rows))
    return {
        "ndcg@20": round(sum(ndcg) / n, 3),
        "precision": round(hits / sent, 3) if sent else 0.0,
        "sent": round(sent / n, 1),
        "empty": round(empty / n, 3),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--tasks", nargs="+", default=["cua-abs", "arxiv-ml"])
    p.add_argument("--work", type=Path, default=None)
    a = p.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="paperboy-quality-"))
    print("| task | profiles | floor | nDCG@20 | precision | sent / profile | sent nothing |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for task in a.tasks:
        d = build(task, a.seed, work)
        run(d, "minilm-text", work, -99.0)
        lines = (d / "rankings-minilm-text-floor-99.jsonl").read_text().splitlines()
        rows = [json.loads(x) for x in lines]
        qrels = {
            q["profile"]: set(q["relevant"])
            for q in map(json.loads, (d / "qrels.jsonl").read_text().splitlines())
        }
        groups = {"all": rows}
        if task == "arxiv-ml":
            groups = {g: [r for r in rows if r["profile"].startswith(g)] for g in ("liked", "kw")}
        for name, group in groups.items():
            for floor in FLOORS:
                m = metrics(group, qrels, floor)
                label = "none" if floor is None else f"{floor:g}"
                print(
                    f"| {task} | {name} | {label} | {m['ndcg@20']:.3f} | {m['precision']:.3f} "
                    f"| {m['sent']} | {m['empty']:.0%} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
