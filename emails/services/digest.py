"""Build a subscriber's digest for a date: the Digest row (snapshot + delivery ledger) and the
email. Sending is the caller's job (services/send.py), never done here.

The digest is this module plus one module per role: emails/viewmodel.py (what it shows, as
plain data), emails/render.py (its text and HTML bodies), emails/message.py (the one builder of
every email: subject, parts, inlined CSS, headers) and emails/views.py (what its links do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from emails import conf
from emails.links import LinkBuilder
from emails.message import build_email, site_domain
from emails.models import Digest
from emails.render import PREFIX, DigestRenderer, default_renderer, render_reference
from emails.services.silent import silent_interests
from emails.viewmodel import (
    DigestItem,
    DigestView,
    Recipient,
    make_view,
    strip_accents_for_header,
)
from ranking.models import Paper
from subscriptions.models import Subscriber
from subscriptions.services.links import manage_url, unsubscribe_url

NUDGE_PREFIX = "emails/digest_nudge"


def build_digest(
    subscriber: Subscriber,
    digest_date: date,
    items: Sequence[DigestItem],
    *,
    renderer: DigestRenderer | None = None,
) -> EmailMultiAlternatives | None:
    """The email to send `subscriber` for `digest_date`, or None when there is none to send.

    Records the Digest row first (unique per subscriber and date). If the row already exists
    (a retry), its stored snapshot wins over `items`, so every rebuild of a day's digest is the
    same email with the same Message-ID. None when: the subscriber does not receive digests; an
    empty day without the quiet-day note (DIGEST_QUIET_DAY_NOTE); a subscriber without
    interests already nudged within DIGEST_NUDGE_INTERVAL_DAYS. Those rows are `skipped`.
    """
    digest = record_day(subscriber, digest_date, items)
    if digest is None:
        return None
    return digest_email(digest, recipient_for(subscriber), renderer=renderer)


def record_day(
    subscriber: Subscriber, digest_date: date, items: Sequence[DigestItem]
) -> Digest | None:
    """The day's Digest row (created once; see `build_digest`), without rendering anything:
    the nightly run records rows in its build stage and renders them when sending. The same
    rules and code as the nightly chunk's `record_days`."""
    return record_days([subscriber], digest_date, {subscriber.pk: items}).get(subscriber.pk)


def record_days(
    subscribers: Sequence[Subscriber],
    digest_date: date,
    items: Mapping[int, Sequence[DigestItem]],
) -> dict[int, Digest]:
    """`record_day` for many subscribers in a few queries: {subscriber id: Digest row}.

    The same rules and the same rows, for a nightly chunk: existing rows win; new ones are
    inserted with ON CONFLICT DO NOTHING and read back, so a concurrent build of the same
    subscriber and date (a redelivered task) ends with the one row either build wrote.
    """
    receiving = [s for s in subscribers if s.receives_digests]
    wanted = [s.pk for s in receiving]
    rows = Digest.objects.filter(subscriber_id__in=wanted, digest_date=digest_date)
    existing = {d.subscriber_id: d for d in rows}
    new = [s for s in receiving if s.pk not in existing]
    nudged = _recently_nudged([s.pk for s in new if not subscriber_interests(s)], digest_date)
    empty = [s.pk for s in new if not items.get(s.pk) and subscriber_interests(s)]
    quiet = _recently_sent(Digest.Kind.QUIET, empty, digest_date, conf.quiet_note_interval())
    created = [
        _new_row(s, digest_date, items.get(s.pk, ()), s.pk in nudged, s.pk in quiet) for s in new
    ]
    # An interest silent for two weeks is mentioned once, in an email that does go out.
    going = [d for d in created if d.state == Digest.State.PENDING and d.kind != Digest.Kind.NUDGE]
    silent = silent_interests([d.subscriber_id for d in going], digest_date, items)
    for digest in going:
        digest.nudged_interests = silent.get(digest.subscriber_id, [])
    Digest.objects.bulk_create(created, ignore_conflicts=True)
    if new:
        existing = {d.subscriber_id: d for d in rows.all()}
    unnamed = [d for d in existing.values() if not d.message_id]
    for digest in unnamed:
        digest.message_id = message_id_for(digest)
    Digest.objects.bulk_update(unnamed, ["message_id"])
    return existing


def _new_row(
    subscriber: Subscriber,
    digest_date: date,
    items: Sequence[DigestItem],
    nudged: bool,
    quiet_sent: bool,
) -> Digest:
    """The row `record_day` would create (see there for the rules)."""
    row = Digest(subscriber=subscriber, digest_date=digest_date, state=Digest.State.PENDING)
    if not subscriber_interests(subscriber):
        row.kind = Digest.Kind.NUDGE
        row.state = Digest.State.SKIPPED if nudged else Digest.State.PENDING
    elif items:
        row.items = snapshot(items)
    elif conf.quiet_day_note():
        row.kind = Digest.Kind.QUIET
        if quiet_sent:
            row.state = Digest.State.SKIPPED
    else:
        row.state = Digest.State.SKIPPED
    return row


def _recently_nudged(subscriber_ids: Sequence[int], digest_date: date) -> set[int]:
    """Those of `subscriber_ids` sent a nudge within DIGEST_NUDGE_INTERVAL_DAYS before the date."""
    return _recently_sent(Digest.Kind.NUDGE, subscriber_ids, digest_date, conf.nudge_interval())


def _recently_sent(
    kind: str, subscriber_ids: Sequence[int], digest_date: date, interval: timedelta
) -> set[int]:
    """Those of `subscriber_ids` with a `kind` email (not skipped) within `interval` before
    the date."""
    if not subscriber_ids:
        return set()
    since = digest_date - interval
    return set(
        Digest.objects.filter(subscriber_id__in=subscriber_ids, kind=kind)
        .filter(digest_date__gt=since, digest_date__lt=digest_date)
        .exclude(state=Digest.State.SKIPPED)
        .values_list("subscriber_id", flat=True)
    )


def recipient_for(subscriber: Subscriber) -> Recipient:
    return Recipient(
        subscriber_id=subscriber.pk,
        email=subscriber.email,
        token_version=subscriber.token_version,
        interests=subscriber_interests(subscriber),
        manage_url=manage_url(subscriber),
        unsubscribe_url=unsubscribe_url(subscriber),
    )


def subscriber_interests(subscriber: Subscriber) -> tuple[str, ...]:
    """Everything the subscriber told us they care about, as short names for the email."""
    names = [topic.name for topic in subscriber.topics.all() if topic.active]
    names += [*subscriber.keywords, *subscriber.categories]
    names += [f"papers by {author}" for author in subscriber.authors]
    if subscriber.seed_paper_ids:
        count = len(subscriber.seed_paper_ids)
        names.append(f"{count} paper{'s' if count != 1 else ''} you chose")
    return tuple(names)


def record_digest(
    subscriber: Subscriber,
    digest_date: date,
    items: Sequence[DigestItem],
    *,
    kind: str = Digest.Kind.DIGEST,
    skipped: bool = False,
) -> Digest:
    """Get or create the day's row; an existing row is returned unchanged (its snapshot wins)."""
    state = Digest.State.SKIPPED if skipped else Digest.State.PENDING
    with transaction.atomic():
        digest, created = Digest.objects.get_or_create(
            subscriber=subscriber,
            digest_date=digest_date,
            defaults={"kind": kind, "state": state, "items": snapshot(items)},
        )
        if created:
            digest.message_id = message_id_for(digest)
            digest.save(update_fields=["message_id"])
    return digest


def papers_sent_before(subscriber_ids: Sequence[int], before: date) -> dict[int, list[int]]:
    """The papers of each subscriber's digests dated before `before` (ranking never recommends
    one twice: ranking/hooks.py); subscribers without a digest are left out."""
    sent: dict[int, list[int]] = {}
    digests = Digest.objects.filter(subscriber_id__in=subscriber_ids, digest_date__lt=before)
    for subscriber_id, items in digests.values_list("subscriber_id", "items").iterator():
        sent.setdefault(subscriber_id, []).extend(entry["paper"] for entry in items)
    return sent


def snapshot(items: Sequence[DigestItem]) -> list[dict[str, object]]:
    return [
        {
            "paper": item.paper.pk,
            "id": item.paper.canonical_id,
            "score": round(float(item.score), 6),
            "explanation": str(item.explanation or "")[:500],
            "interest": str(item.interest or "")[:200],
        }
        for item in items
    ]


def items_from_snapshot(
    digest: Digest, papers: Mapping[int, Paper] | None = None
) -> list[DigestItem]:
    """The snapshot's items whose papers still exist, in the order they were sent.

    `papers` is an optional preloaded pool (a send chunk loads its papers once)."""
    wanted = [entry["paper"] for entry in digest.items]
    if papers is None or any(pk not in papers for pk in wanted):
        papers = Paper.objects.in_bulk(wanted)
    return [
        DigestItem(
            paper=papers[entry["paper"]],
            score=entry.get("score", 0.0),
            explanation=entry.get("explanation", ""),
            interest=entry.get("interest", ""),
        )
        for entry in digest.items
        if entry["paper"] in papers
    ]


def message_id_for(digest: Digest) -> str:
    return f"<digest.{digest.pk}.{digest.digest_date:%Y%m%d}@{site_domain()}>"


def digest_headers(digest: Digest, recipient: Recipient) -> dict[str, str]:
    """Bulk-mail headers: RFC 8058 one-click unsubscribe, RFC 2919 List-Id, RFC 3834."""
    list_name = strip_accents_for_header(settings.SITE_NAME)
    return {
        "List-Unsubscribe": f"<{recipient.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{list_name} digest <digest.{site_domain()}>",
        "Message-ID": digest.message_id or message_id_for(digest),
        "Precedence": "bulk",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }


def digest_view(
    digest: Digest,
    recipient: Recipient,
    renderer: DigestRenderer | None = None,
    papers: Mapping[int, Paper] | None = None,
) -> DigestView:
    cards = renderer or default_renderer()
    items = items_from_snapshot(digest, papers)
    return make_view(
        recipient, digest.pk, digest.digest_date, items, LinkBuilder(), card_for=cards.card,
        silent_interests=digest.nudged_interests,
    )  # fmt: skip


def render_digest(
    digest: Digest, recipient: Recipient, renderer: DigestRenderer | None = None
) -> tuple[str, str]:
    """(text, html) of a stored digest: what "view in browser" and the admin show."""
    view = digest_view(digest, recipient, renderer)
    return (renderer or default_renderer()).render(view) or render_reference(view)


def digest_email(
    digest: Digest,
    recipient: Recipient,
    *,
    renderer: DigestRenderer | None = None,
    fast: bool = True,
    papers: Mapping[int, Paper] | None = None,
) -> EmailMultiAlternatives | None:
    """The email for a recorded digest (None for a skipped one); `fast=False` renders it by
    the reference path, whole-email premailer (tests and the benchmark compare the two)."""
    if digest.state == Digest.State.SKIPPED:
        return None
    headers = digest_headers(digest, recipient)
    if digest.kind == Digest.Kind.NUDGE:
        context = {"manage_url": recipient.manage_url, "email": recipient.email}
        context["unsubscribe_url"] = recipient.unsubscribe_url
        return build_email(NUDGE_PREFIX, recipient.email, context, headers)
    renderer = renderer or default_renderer()
    view = digest_view(digest, recipient, renderer, papers)
    parts = renderer.render(view) if fast else None
    text, html = parts or (None, None)
    return build_email(
        PREFIX, recipient.email, view.as_context(), headers, body_text=text, body_html=html
    )
