"""Retention: which rows expire when, and the floors that keep what delivery still needs.

Each rule deletes rows older than its RETENTION_*_DAYS setting, but never younger than its
floor, whatever the setting says:

- Digest rows are the delivery ledger: a row unique per (subscriber, date) is what stops a
  second email for that date. Only rows in a final state are purged, and only once their
  date is past the recovery sweep's look-back (it re-enqueues pending rows and re-plans open
  runs of the last 2 days, emails/tasks.py) with a margin for time zones; also not while their
  feedback links still work or while they still space the add-interests nudges.
- Recommendations of a date are what the rank stage checks before ranking again; kept as long.
- Nightly runs are unique per slot (a doubled beat tick finds its slot's run); kept as long.
- Delivery events feed the soft-bounce count: kept for its whole window.
- Unconfirmed sign-ups: never while their confirmation link works (subscriptions/conf.py).

Last, the bounce records of addresses no subscriber has are reduced to a hash
(emails/services/suppression.py), e.g. a bounce that arrived after a deletion.

Deletes go in batches of primary keys, each its own short transaction; a second run finds
nothing left, so the command and the task are safe to re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import checks
from django.db.models import QuerySet
from django.utils import timezone

from emails import conf
from emails.models import DeliveryEvent, Digest, LinkEvent, NightlyRun
from emails.services.ledger import TERMINAL
from emails.services.suppression import forget_unowned_addresses
from ranking.models import IngestionRun, Recommendation
from subscriptions import conf as subscriptions_conf
from subscriptions.models import AuditEvent
from subscriptions.services.signup import expired_signups, purge_unconfirmed

BATCH = 5000
NO_FLOOR = timedelta(0)


@dataclass(frozen=True)
class Rule:
    label: str
    setting: str
    default_days: int
    expired: Callable[[datetime], QuerySet[Any]]  # rows older than this cutoff, that may go
    floor: Callable[[], timedelta] = lambda: NO_FLOOR

    def configured(self) -> timedelta:
        return timedelta(days=int(getattr(settings, self.setting, self.default_days)))

    def keep_for(self) -> timedelta:
        return max(self.configured(), self.floor())


def ledger_floor() -> timedelta:
    """The recovery sweep looks back SEND_MAX_LATE_DAYS; a slot's local dates span a day either
    side of UTC."""
    return conf.max_late() + timedelta(days=1)


def _digest_floor() -> timedelta:
    return max(ledger_floor(), conf.link_max_age(), conf.nudge_interval())


RULES: tuple[Rule, ...] = (
    Rule(
        "link events",
        "RETENTION_LINK_EVENT_DAYS",
        180,
        lambda cutoff: LinkEvent.objects.filter(created_at__lt=cutoff),
    ),
    Rule(
        "digests",
        "RETENTION_DIGEST_DAYS",
        400,
        lambda cutoff: Digest.objects.filter(digest_date__lt=cutoff.date(), state__in=TERMINAL),
        _digest_floor,
    ),
    Rule(
        "delivery events",
        "RETENTION_DELIVERY_EVENT_DAYS",
        90,
        lambda cutoff: DeliveryEvent.objects.filter(created_at__lt=cutoff),
        conf.soft_bounce_window,
    ),
    Rule(
        "recommendations",
        "RETENTION_RECOMMENDATION_DAYS",
        30,
        lambda cutoff: Recommendation.objects.filter(run_date__lt=cutoff.date()),
        ledger_floor,
    ),
    Rule(
        "nightly runs",
        "RETENTION_NIGHTLY_RUN_DAYS",
        90,
        lambda cutoff: NightlyRun.objects.filter(slot__lt=cutoff),
        ledger_floor,
    ),
    Rule(
        "ingestion runs",
        "RETENTION_INGESTION_RUN_DAYS",
        90,
        lambda cutoff: IngestionRun.objects.filter(started_at__lt=cutoff).exclude(
            status=IngestionRun.Status.RUNNING
        ),
    ),
    Rule(
        "audit events",
        "RETENTION_AUDIT_EVENT_DAYS",
        730,
        lambda cutoff: AuditEvent.objects.filter(created_at__lt=cutoff),
    ),
)
UNCONFIRMED = "unconfirmed sign-ups"
UNOWNED = "non-subscriber addresses"


def purge_expired(now: datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or with `dry_run` only count) what has expired; rows per label, in rule order."""
    now = now or timezone.now()
    report: dict[str, int] = {}
    for rule in RULES:
        expired = rule.expired(now - rule.keep_for())
        report[rule.label] = expired.count() if dry_run else delete_in_batches(expired)
    if dry_run:
        report[UNCONFIRMED] = expired_signups(now).count()
    else:
        report[UNCONFIRMED] = purge_unconfirmed(now)
    report[UNOWNED] = forget_unowned_addresses(dry_run=dry_run)
    return report


def delete_in_batches(expired: QuerySet[Any], batch: int = BATCH) -> int:
    """Delete the rows of `expired` (and their cascades) `batch` at a time; returns how many."""
    label = expired.model._meta.label
    total = 0
    while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:batch]):
        _, per_model = expired.filter(pk__in=ids).delete()
        total += per_model.get(label, 0)
        if not per_model.get(label):
            break  # the rows changed under us (e.g. an operator's retry): leave them
    return total


def summary(report: dict[str, int], *, dry_run: bool = False) -> str:
    counts = dict(report)
    hashed = counts.pop(UNOWNED, 0)
    deleted = ", ".join(f"{count} {label}" for label, count in counts.items())
    if dry_run:
        return f"purge_expired: would delete {deleted}; would hash {hashed} {UNOWNED}"
    return f"purge_expired: deleted {deleted}; hashed {hashed} {UNOWNED}"


def check_retention_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """System check: each RETENTION_*_DAYS at least one day; a value below its floor is
    reported, since those rows are kept for the floor instead."""
    limits = [(rule.setting, rule.label, rule.floor) for rule in RULES]
    limits.append(
        ("RETENTION_UNCONFIRMED_DAYS", UNCONFIRMED, subscriptions_conf.unconfirmed_retention)
    )
    messages: list[checks.CheckMessage] = []
    for setting, label, floor in limits:
        days = getattr(settings, setting, 1)
        if not isinstance(days, int) or days < 1:
            error = f"{setting} must be a whole number of days, at least 1 (got {days!r})."
            messages.append(checks.Error(error, id="paperboy.E201"))
        elif timedelta(days=days) < floor():
            kept = floor().days
            warning = f"{setting}={days} is below its minimum: {label} are kept {kept} days."
            messages.append(
                checks.Warning(warning, hint="docs/operations.md, Retention", id="paperboy.W201")
            )
    return messages
