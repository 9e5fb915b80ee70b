"""Ingestion throughput: papers/second for the OAI-PMH harvest and the JSONL file path.

    .venv/bin/python bench/ingest.py [--rounds 3]

Uses a fresh SQLite file and an embedded Redis in a temporary directory unless DATABASE_URL /
REDIS_URL are set. The OAI path is the full recorded 2023-03-07 harvest (3 pages, 2,265 records)
served by a local HTTP server, through the real source (HTTP, strict XML parsing, resumption
tokens, rate limiter with a zero interval) and the catalogue upsert. The JSONL path is the same
2,265 records written as JSONL. Each round starts from an empty catalogue (all creates); a second
pass over the same input (all unchanged) is timed too. Prints figures, then one RESULT line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from benchenv import start_django

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "ranking" / "fixtures" / "recorded" / "arxiv-oai"
PAGES = {"": 0, "6511260|1001": 1, "6511260|2001": 2}


def setup_environment(workdir: Path) -> None:
    start_django(workdir, ARXIV_REQUEST_INTERVAL="0")


def serve_oai() -> str:
    bodies = [(RECORDED / f"ListRecords_data_{n}.xml").read_bytes() for n in range(3)]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            body = bodies[PAGES[query.get("resumptionToken", [""])[0]]]
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/oai2"


def write_jsonl(path: Path) -> int:
    from ranking.sources.base import PaperRecord
    from ranking.sources.oai import parse_record
    from ranking.sources.xml import parse_xml

    lines = []
    for n in range(3):
        root = parse_xml((RECORDED / f"ListRecords_data_{n}.xml").read_bytes())
        for element in root.iter("{http://www.openarchives.org/OAI/2.0/}record"):
            record = parse_record(element)
            assert isinstance(record, PaperRecord)
            row = {
                "id": record.canonical_id,
                "title": record.title,
                "abstract": record.abstract,
                "authors": list(record.authors),
                "categories": list(record.categories),
                "published": record.published.isoformat() if record.published else None,
                "doi": record.doi or None,
            }
            lines.append(json.dumps(row, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def timed(run: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def measure(name: str, ingest: Callable[[], object], rounds: int) -> float:
    from ranking.models import IngestionRun, Paper

    first, second = [], []
    for _ in range(rounds):
        Paper.objects.all().delete()
        seconds, run = timed(ingest)
        assert isinstance(run, IngestionRun)
        assert run.status == "succeeded", run.errors
        first.append(run.created / seconds)
        seconds, again = timed(ingest)
        assert isinstance(again, IngestionRun)
        assert again.created == 0
        second.append(again.unchanged / seconds)
        created = run.created
    print(
        f"{name:6} {created} papers: load median {statistics.median(first):8.0f} papers/s "
        f"(best {max(first):.0f}); re-run unchanged median {statistics.median(second):8.0f} "
        f"papers/s ({rounds} rounds)"
    )
    return statistics.median(first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="paperboy-bench-"))
    setup_environment(workdir)
    from django.conf import settings
    from django.db import connection

    from ranking.services.ingestion import ingest_papers
    from ranking.services.sources import build_source
    from ranking.sources.base import Window
    from ranking.sources.files import FileSource

    settings.ARXIV_OAI_URL = serve_oai()
    jsonl = workdir / "papers.jsonl"
    lines = write_jsonl(jsonl)
    print(f"database: {connection.vendor}; OAI fixture 3 pages; JSONL {lines} lines")
    oai = measure("oai", lambda: ingest_papers(build_source("oai"), Window()), args.rounds)
    file_window = Window(path=str(jsonl))
    jsonl_rate = measure("jsonl", lambda: ingest_papers(FileSource(), file_window), args.rounds)
    print(f"RESULT oai_papers_per_s={oai:.1f} jsonl_papers_per_s={jsonl_rate:.1f}")


if __name__ == "__main__":
    main()
