"""What the operator's view of the nightly runs shows: activity per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from emails.models import DeliveryEvent, Digest, LinkEvent


@dataclass(frozen=True)
class DayActivity:
    day: date
    sent: int
    bounces: int
    clicks: int


def _per_day(queryset: QuerySet[Any], field: str) -> dict[date, int]:
    rows = queryset.annotate(day=TruncDate(field)).values("day").annotate(n=Count("pk"))
    return {row["day"]: row["n"] for row in rows}


def daily_activity(days: int = 14) -> list[DayActivity]:
    """Sends, bounces (and complaints) and clicks per day for the last `days` days, oldest first."""
    today = timezone.now().date()
    since = timezone.now() - timedelta(days=days)
    sent = _per_day(Digest.objects.filter(state=Digest.State.SENT, sent_at__gte=since), "sent_at")
    bounced = DeliveryEvent.objects.filter(created_at__gte=since)
    bounces = _per_day(bounced, "created_at")
    clicks = _per_day(
        LinkEvent.objects.filter(kind=LinkEvent.Kind.CLICK, created_at__gte=since), "created_at"
    )
    return [
        DayActivity(day, sent.get(day, 0), bounces.get(day, 0), clicks.get(day, 0))
        for day in (today - timedelta(days=offset) for offset in range(days - 1, -1, -1))
    ]


def chart_rows(activity: list[DayActivity]) -> list[dict[str, object]]:
    """Each day with bar widths in percent of the busiest day, per series."""
    peaks = {
        name: max([getattr(day, name) for day in activity] + [1])
        for name in ("sent", "bounces", "clicks")
    }
    return [
        {
            "day": day.day,
            **{name: getattr(day, name) for name in peaks},
            **{
                f"{name}_pct": round(100 * getattr(day, name) / peak)
                for name, peak in peaks.items()
            },
        }
        for day in activity
    ]
