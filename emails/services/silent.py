"""Interests that have found nothing for two weeks (DIGEST_SILENT_INTEREST_DAYS): the next
email that goes out says so, once per interest, with where to see what each interest finds.
A vague word ("learning") or one nobody writes otherwise costs the reader weeks of silence
without a word of why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from django.db.models import Min

from emails import conf
from emails.models import Digest
from emails.viewmodel import DigestItem
from ranking.services.interests import worded_interests


def silent_interests(
    subscriber_ids: Sequence[int],
    digest_date: date,
    items: Mapping[int, Sequence[DigestItem]],
) -> dict[int, list[str]]:
    """{subscriber id: interests to mention in the email of `digest_date`}.

    An interest qualifies when the subscriber has had digest rows for the whole window (their
    first is at least that old: a paused or new subscriber has not been listening), none of the
    window's digests nor today's `items` carried a paper for it, and no earlier email of theirs
    mentioned it."""
    if not subscriber_ids:
        return {}
    since = digest_date - timedelta(days=conf.silent_interest_days() - 1)
    history = Digest.objects.filter(subscriber_id__in=subscriber_ids, digest_date__lt=digest_date)
    first = dict(
        history.values("subscriber_id")
        .annotate(first=Min("digest_date"))
        .values_list("subscriber_id", "first")
    )
    listening = [sid for sid in subscriber_ids if first.get(sid) and first[sid] <= since]
    if not listening:
        return {}
    # Interests that found something (today or in the window), or were mentioned before.
    heard = {sid: {item.interest for item in items.get(sid, ())} for sid in listening}
    window = history.filter(subscriber_id__in=listening, digest_date__gte=since)
    for sid, snapshot in window.values_list("subscriber_id", "items"):
        heard[sid].update(str(entry.get("interest", "")) for entry in snapshot)
    told = history.filter(subscriber_id__in=listening).exclude(nudged_interests=[])
    for sid, names in told.values_list("subscriber_id", "nudged_interests"):
        heard[sid].update(names)
    named = worded_interests(listening)
    out = {}
    for sid in listening:
        silent = [name for name in named.get(sid, []) if name not in heard[sid]]
        if silent:
            out[sid] = silent
    return out
