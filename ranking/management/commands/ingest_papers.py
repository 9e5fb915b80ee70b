"""Ingest papers from one source over a window, record the run, print a one-line summary.

Records skipped or changed by validation are printed to stderr (the first SHOWN_NOTES of each
run, each prefixed with the file or source), the summary to stdout. Any failure is one line and
a non-zero exit, never a traceback.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ranking.models import IngestionRun
from ranking.services.ingestion import describe_crash, ingest_papers, summarise_run
from ranking.services.sources import SOURCE_NAMES, build_source
from ranking.sources.base import Window

SHOWN_NOTES = 20


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
        runs = [self._ingest(options["source"], window) for window in windows]
        failed = [run for run in runs if run.status == IngestionRun.Status.FAILED]
        if failed:
            raise CommandError(f"{len(failed)} of {len(windows)} run(s) failed; see above")

    def _ingest(self, source: str, window: Window) -> IngestionRun:
        notes = _FirstNotes(prefix=window.path or source)
        try:
            run = ingest_papers(build_source(source), window, self._progress, notes.add)
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted; the run is recorded as failed", returncode=130
            ) from None
        except Exception as exc:  # the database down: not even a failed run could be recorded
            raise CommandError(f"{source}: {describe_crash(exc)}") from None
        if self.stderr.isatty():
            self.stderr.write("")
        for line in notes.lines():
            self.stderr.write(line)
        self.stdout.write(f"ingest_papers: {summarise_run(run)}")
        return run

    verbosity = 1

    def _progress(self, run: IngestionRun) -> None:
        line = f"  {run.source}: {run.fetched:,} fetched, {run.created:,} created"
        if self.stderr.isatty():
            self.stderr.write(f"\r{line}", ending="")  # a live counter on a terminal
        elif self.verbosity > 1:
            self.stderr.write(line)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class _FirstNotes:
    """The first SHOWN_NOTES notes of a run, and how many more there were."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.shown: list[str] = []
        self.more = 0

    def add(self, note: str) -> None:
        if len(self.shown) < SHOWN_NOTES:
            self.shown.append(f"{self.prefix}: {note}")
        else:
            self.more += 1

    def lines(self) -> list[str]:
        return [*self.shown, f"... and {self.more:,} more"] if self.more else self.shown
