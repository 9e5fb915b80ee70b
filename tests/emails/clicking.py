"""Helpers for the click-counting tests: a frozen clock to step, and a delivered digest's links."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from urllib.parse import urlsplit

import time_machine

from emails.links import LinkBuilder
from emails.models import Digest
from emails.services import ledger
from emails.services.digest import record_day
from ranking.models import Paper
from subscriptions.models import Subscriber
from tests import clock
from tests.emails.conftest import items_for


@contextmanager
def stopped_clock() -> Iterator[time_machine.Traveller]:
    """The run's clock (real or moved: tests/clock.py), stopped, for the test to step."""
    with time_machine.travel(clock.now(), tick=False) as traveller:
        yield traveller


def delivered_links(
    subscriber: Subscriber, papers: Sequence[Paper], day: date, *, sent: bool = True
) -> list[str]:
    """Paths of the click links of `subscriber`'s digest of `papers` for `day`, delivered now
    through the ledger (claimed, handed off, and accepted by the server unless `sent=False`)."""
    digest = record_day(subscriber, day, items_for(list(papers)))
    assert digest is not None
    deliver(digest, sent=sent)
    builder = LinkBuilder()
    return [
        urlsplit(builder.paper_urls(digest.pk, paper.pk, subscriber.token_version)[0]).path
        for paper in papers
    ]


def deliver(digest: Digest, *, sent: bool = True) -> None:
    assert ledger.claim_digest(digest.pk)
    assert ledger.mark_handed_off(digest.pk)
    if sent:
        assert ledger.mark_sent(digest.pk)
