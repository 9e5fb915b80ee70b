"""Ranking quality: nDCG@20 / recall@20 of `python -m ranking.offline` on rankeval.py's tasks.

    .venv/bin/python bench/quality.py --seeds 13 7 --configs minilm-text lsa-text \\
        [--work /tmp/paperboy-quality]

`minilm` is what Paperboy ranks with, `lsa` the LSA-only baseline. A name ending in `-text` runs
with `--text-only` (paper categories ignored): the headline, because on arxiv-ml the category is
the relevance label. `minilm` without it shows the rows with categories, labelled as such.

Builds each task from ../shared/data with rankeval.py into a temporary directory (the data never
enters the repository), runs the offline CLI per configuration (the exact production code path),
scores with rankeval.py and prints one line per (task, seed, config) plus a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RANKEVAL = ROOT.parent / "shared" / "tools" / "rankeval.py"
TASKS = ("cua-abs", "cua-titles", "arxiv-ml")
# nDCG@20 of the reference re-implementations on this machine (issue 5).
REFERENCE = {
    "cua-abs": (0.363, 0.386, 0.413),
    "cua-titles": (0.213, 0.225, 0.257),
    "arxiv-ml liked": (0.396, 0.484, 0.503),
    "arxiv-ml keywords": (0.236, 0.395, 0.395),
}


# A config name ending in this runs it with --text-only (the papers' categories ignored): on
# arxiv-ml the category is the relevance label, so this shows what the text alone achieves.
TEXT_ONLY = "-text"


def build(task: str, seed: int, work: Path) -> Path:
    out = work / f"s{seed}" / task
    if not (out / "qrels.jsonl").is_file():
        subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
            [sys.executable, str(RANKEVAL), "build", task, str(out), "--seed", str(seed)],
            check=True,
        )
    return out


def run(task_dir: Path, config: str, work: Path, floor: float) -> dict:
    out = task_dir / f"rankings-{config}-floor{floor:g}.jsonl"
    t0 = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
        [
            sys.executable,
            "-m",
            "ranking.offline",
            "--papers",
            str(task_dir / "papers.jsonl"),
            "--profiles",
            str(task_dir / "profiles.jsonl"),
            "--candidates",
            str(task_dir / "candidates.txt"),
            "--top",
            "20",
            "--out",
            str(out),
            "--config",
            config.removesuffix(TEXT_ONLY),
            *(["--text-only"] if config.endswith(TEXT_ONLY) else []),
            "--floor",
            str(floor),
            "--cache",
            str(work / "minilm-cache"),
        ],
        check=True,
        cwd=ROOT,
    )
    took = time.perf_counter() - t0
    res = subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
        [sys.executable, str(RANKEVAL), "score", str(task_dir), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    scores = json.loads(res.stdout.strip().splitlines()[-1])
    scores["seconds"] = round(took, 1)
    return scores


def rows_of(task: str, scores: dict) -> dict[str, float]:
    if task != "arxiv-ml":
        return {task: scores["ndcg@20"]}
    return {"arxiv-ml liked": scores["ndcg@20[liked]"], "arxiv-ml keywords": scores["ndcg@20[kw]"]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[13, 7])
    p.add_argument("--configs", nargs="+", default=["minilm-text", "lsa-text"])
    p.add_argument("--tasks", nargs="+", default=list(TASKS))
    p.add_argument("--work", type=Path, default=None)
    p.add_argument(
        "--floor",
        type=float,
        default=-99.0,
        help="score floor; the default keeps full lists, as ranking quality is scored",
    )
    a = p.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="paperboy-quality-"))
    table: dict[tuple[str, str, int], float] = {}
    for seed in a.seeds:
        for task in a.tasks:
            d = build(task, seed, work)
            for config in a.configs:
                s = run(d, config, work, a.floor)
                print(json.dumps({"task": task, "seed": seed, "config": config, **s}), flush=True)
                for row, v in rows_of(task, s).items():
                    table[(row, config, seed)] = v
    print(
        "\n| task | seed | " + " | ".join(a.configs) + " | best reference | x best (per config) |"
    )
    print("| --- | --- | " + " | ".join("---" for _ in a.configs) + " | --- | --- |")
    for row, refs in REFERENCE.items():
        for seed in a.seeds:
            vals = [table.get((row, c, seed)) for c in a.configs]
            if all(v is None for v in vals):
                continue
            cells = " | ".join(f"{v:.3f}" if v is not None else "-" for v in vals)
            ratio = " / ".join(f"{v / max(refs):.2f}" if v is not None else "-" for v in vals)
            print(f"| {row} | {seed} | {cells} | {max(refs):.3f} | {ratio} |")


if __name__ == "__main__":
    main()
