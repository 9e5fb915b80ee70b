"""What the preference centre shows besides the form: the chosen seed papers by title and the
papers the subscriber rated. Reads only; the writes are in preferences.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from subscriptions.models import Feedback, Subscriber

RATED_SHOWN = 50


class CataloguePaper(Protocol):
    """What the centre shows of a catalogue paper (a ranking.Paper, reached by the models'
    reference by string: subscriptions does not import ranking)."""

    @property
    def canonical_id(self) -> str: ...

    @property
    def title(self) -> str: ...


@dataclass(frozen=True)
class SeedPaper:
    canonical_id: str
    paper: CataloguePaper | None  # None: the catalogue does not know this id (yet)


@dataclass(frozen=True)
class RatedPapers:
    shown: list[Feedback]  # newest first
    not_shown: int


def seed_papers_of(subscriber: Subscriber) -> list[SeedPaper]:
    """Each seed id with its paper, in the subscriber's order. Looked up by id rather than
    through `Subscriber.seed_papers`, which is only resolved on save: a paper ingested since
    shows too."""
    ids = subscriber.seed_paper_ids
    catalogue = subscriber.seed_papers.model  # the catalogue's Paper ("ranking.Paper")
    papers = catalogue.objects.filter(canonical_id__in=ids).only("canonical_id", "title")
    known = {paper.canonical_id: paper for paper in papers}
    return [SeedPaper(item, known.get(item)) for item in ids]


def rated_papers(subscriber: Subscriber, limit: int = RATED_SHOWN) -> RatedPapers:
    ratings = subscriber.feedback.select_related("paper").order_by("-created_at", "-pk")
    shown = list(ratings.only("kind", "created_at", "paper__canonical_id", "paper__title")[:limit])
    not_shown = ratings.count() - len(shown) if len(shown) == limit else 0
    return RatedPapers(shown, not_shown)
