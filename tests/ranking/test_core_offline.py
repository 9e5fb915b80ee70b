from __future__ import annotations

import json
from pathlib import Path

import pytest

from ranking.offline import main
from tests.ranking.corekit import corpus, subject_of


def write_task(tmp: Path) -> dict[str, Path]:
    past, new = corpus(40, "old", seed=1), corpus(8, "new", seed=2)
    papers = tmp / "papers.jsonl"
    papers.write_text(
        "".join(
            json.dumps(
                {
                    "id": p.id,
                    "title": p.title,
                    "abstract": p.abstract,
                    "authors": [],
                    "categories": [],
                    "published": "",
                }
            )
            + "\n"
            for p in past + new
        )
    )
    profiles = tmp / "profiles.jsonl"
    rows = [
        {"id": "genes", "keywords": [], "liked": ["old-genes-1", "old-genes-2", "gone"]},
        {"id": "kw", "keywords": ["telescope"], "liked": []},
        {"id": "nobody", "keywords": [], "liked": []},
    ]
    profiles.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cands = tmp / "candidates.txt"
    cands.write_text("".join(f"{p.id}\n" for p in new) + "not-a-paper\n")
    return {"papers": papers, "profiles": profiles, "candidates": cands, "out": tmp / "r.jsonl"}


def args(paths: dict[str, Path], *extra: str) -> list[str]:
    out = [f"--{k}={v}" for k, v in paths.items()]
    return [*out, "--top", "5", *extra]


def test_it_writes_rankings_in_the_interchange_format(tmp_path: Path, capsys) -> None:
    paths = write_task(tmp_path)
    assert main(args(paths, "--floor", "-99")) == 0
    rows = {r["profile"]: r for r in map(json.loads, paths["out"].read_text().splitlines())}
    assert [subject_of(p) for p in rows["genes"]["ranked"][:3]] == ["genes"] * 3
    assert [subject_of(p) for p in rows["kw"]["ranked"][:3]] == ["astro"] * 3
    assert len(rows["genes"]["explanations"]) == len(rows["genes"]["ranked"]) == 5
    assert rows["nobody"]["ranked"] == []
    assert "no interests yet" in rows["nobody"]["reason"]
    stats = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert stats["unknown_papers"] == 1
    assert stats["missing_candidates"] == 1


def test_a_missing_input_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    paths = write_task(tmp_path)
    paths["profiles"] = tmp_path / "nope.jsonl"
    assert main(args(paths)) == 2
    assert "--profiles" in capsys.readouterr().err


def test_a_malformed_line_names_the_file_and_line(tmp_path: Path) -> None:
    paths = write_task(tmp_path)
    paths["profiles"].write_text('{"keywords": []}\n')
    with pytest.raises(SystemExit, match=r"profiles.jsonl:1: not a profile record"):
        main(args(paths))


def test_a_damaged_model_file_fails_clearly_before_any_work(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    paths = write_task(tmp_path)
    damaged = tmp_path / "model.onnx"
    damaged.write_bytes(b"not a model")
    monkeypatch.setattr("ranking.core.minilm._installed_model", lambda: damaged)
    assert main(args(paths)) == 3
    err = capsys.readouterr().err
    assert f"model file {damaged} is 11 bytes, expected 22928619" in err
    assert "pip install --force-reinstall" in err
    assert not paths["out"].exists()


def test_text_only_ignores_the_papers_categories(tmp_path: Path) -> None:
    paths = write_task(tmp_path)
    # Gene papers: odd ones in q-bio.GN, even ones in q-bio.BM; "genes" likes GN ones only.
    lines = []
    for line in paths["papers"].read_text().splitlines():
        p = json.loads(line)
        if subject_of(p["id"]) == "genes":
            p["categories"] = ["q-bio.GN" if int(p["id"].rsplit("-", 1)[1]) % 2 else "q-bio.BM"]
        lines.append(json.dumps(p) + "\n")
    paths["papers"].write_text("".join(lines))
    liked = [f"old-genes-{i}" for i in range(1, 30, 2)]
    paths["profiles"].write_text(json.dumps({"id": "genes", "liked": liked}) + "\n")

    def genomics_in_top(*extra: str) -> int:
        assert main(args(paths, "--floor", "-99", *extra)) == 0
        ranked = json.loads(paths["out"].read_text())["ranked"][:4]
        assert [subject_of(p) for p in ranked] == ["genes"] * 4
        return sum(int(p.rsplit("-", 1)[1]) % 2 for p in ranked)

    # Seeded data: 3 of the top 4 with categories, 1 on text alone.
    assert genomics_in_top() > genomics_in_top("--text-only")
