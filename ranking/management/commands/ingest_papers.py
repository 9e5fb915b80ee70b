"""Ingest papers from one source over a window, record the run, print a one-line summary."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ranking.models import IngestionRun
from ranking.services.ingestion import ingest_papers, summarise_run
from ranking.services.sources import SOURCE_NAMES, build_source
from ranking.sources.base import Window


class Command(BaseCommand):
    help = (
        "Ingest papers: --source arxiv|oai|hf|file with a window (--since/--until or --date, "
        "--categories, --ids for arxiv, --path for file). Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=SOURCE_NAMES)
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD, inclusive")
        parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD, inclusive")
        parser.add_argument("--date", type=date.fromisoformat, help="one day (since = until)")
        parser.add_argument("--categories", default="", help="comma-separated, e.g. cs.LG,cs.CL")
        parser.add_argument("--ids", default="", help="comma-separated arXiv ids (arxiv only)")
        parser.add_argument("--path", nargs="*", default=[], help="files (file source)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        since, until = options["since"], options["until"]
        if options["date"]:
            since = until = options["date"]
        if options["source"] == "file" and not options["path"]:
            raise CommandError("--source file needs --path")
        windows = [
            Window(
                since=since,
                until=until,
                categories=_split(options["categories"]),
                ids=_split(options["ids"]),
                path=path,
            )
            for path in options["path"] or [""]
        ]
        failed = []
        for window in windows:
            run = ingest_papers(build_source(options["source"]), window, self._progress)
            if self.stderr.isatty():
                self.stderr.write("")
            self.stdout.write(f"ingest_papers: {summarise_run(run)}")
            if run.status == IngestionRun.Status.FAILED:
                failed.append(run)
        if failed:
            raise CommandError(f"{len(failed)} of {len(windows)} run(s) failed; see above")

    verbosity = 1

    def _progress(self, run: IngestionRun) -> None:
        line = f"  {run.source}: {run.fetched:,} fetched, {run.created:,} created"
        if self.stderr.isatty():
            self.stderr.write(f"\r{line}", ending="")  # a live counter on a terminal
        elif self.verbosity > 1:
            self.stderr.write(line)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())
