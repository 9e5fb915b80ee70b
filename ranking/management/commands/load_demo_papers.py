"""Load the shipped demo corpus (217 papers of the trending page). Safe to re-run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from ranking.services.catalogue import upsert_papers
from ranking.sources.seed_page import parse_seed_page

DEMO_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "trending-papers.txt"


class Command(BaseCommand):
    help = "Load the demo papers shipped in ranking/fixtures/demo/ into the catalogue."

    def handle(self, *args: Any, **options: Any) -> None:
        records = parse_seed_page(DEMO_FILE.read_text(encoding="utf-8"), source="demo")
        counts = upsert_papers(records)
        self.stdout.write(f"load_demo_papers: {counts}")
