"""Load the shipped demo corpus (217 papers of the trending page), and encode the catalogue for
ranking, so that the first sign-up's model is fit in seconds. Safe to re-run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ranking.core import EncoderUnavailable
from ranking.services import encoding
from ranking.services.catalogue import upsert_papers
from ranking.sources.seed_page import parse_seed_page

DEMO_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "trending-papers.txt"


class Command(BaseCommand):
    help = "Load the demo papers shipped in ranking/fixtures/demo/ into the catalogue."

    def handle(self, *args: Any, **options: Any) -> None:
        records = parse_seed_page(DEMO_FILE.read_text(encoding="utf-8"), source="demo")
        counts = upsert_papers(records)
        self.stdout.write(f"load_demo_papers: {counts}")
        # Encoded once (about 15 s on two cores), then read from RANKING_MODEL_DIR's cache.
        started = time.perf_counter()
        try:
            ws = encoding.workspace()
        except EncoderUnavailable as exc:  # the same one-line error the ranking would give
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"load_demo_papers: {len(ws.catalogue)} papers encoded for ranking "
            f"in {time.perf_counter() - started:.1f}s"
        )
