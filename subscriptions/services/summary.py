"""A subscriber's interests in words, for the emails that repeat them back (confirmation and
manage link): reads only."""

from __future__ import annotations

from dataclasses import dataclass

from subscriptions.models import Subscriber
from subscriptions.services.centre import seed_papers_of


@dataclass(frozen=True)
class InterestLine:
    label: str  # the sign-up form's label, so the email uses the words the reader saw
    values: tuple[str, ...]
    # Author names ("Curie, Marie") and titles hold commas: those lists are joined with "; ".
    separator: str = ", "

    @property
    def text(self) -> str:
        return self.separator.join(self.values)


def interest_lines(subscriber: Subscriber) -> list[InterestLine]:
    """Every kind of interest the subscriber gave, in the form's order; empty kinds left out.

    Inactive topics are left out (they pick nothing); seed papers the catalogue knows are
    named by title, the others by the id the subscriber typed."""
    seeds = seed_papers_of(subscriber)
    lines = [
        InterestLine("Topics", tuple(t.name for t in subscriber.topics.all() if t.active)),
        InterestLine("Keywords", tuple(subscriber.keywords)),
        InterestLine("Not interested in", tuple(subscriber.negative_keywords)),
        InterestLine("arXiv categories", tuple(subscriber.categories)),
        InterestLine(
            "Papers like these",
            tuple(seed.paper.title if seed.paper else seed.canonical_id for seed in seeds),
            "; ",
        ),
        InterestLine("Authors to follow", tuple(subscriber.authors), "; "),
    ]
    return [line for line in lines if line.values]
