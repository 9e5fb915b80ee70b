from __future__ import annotations

from django.db import models

from subscriptions.models import Subscriber


class Digest(models.Model):
    """One email per subscriber and digest date: what was sent, and the delivery ledger.

    `items` is a snapshot of what the email showed (paper ids, scores, explanations, interests),
    so "view in browser" re-renders the same email and feedback links are checked against it.
    The row is unique per (subscriber, digest_date): creating it is the claim that stops a
    second digest for the same day; `state` is advanced by conditional UPDATEs (issue 7).
    """

    class Kind(models.TextChoices):
        DIGEST = "digest", "Digest"
        QUIET = "quiet", "Quiet-day note"
        NUDGE = "nudge", "Add-interests nudge"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"
        SKIPPED = "skipped", "Skipped (nothing to send)"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    digest_date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DIGEST)
    items = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-digest_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "digest_date"], name="digest_once_per_subscriber_day"
            )
        ]
        indexes = [models.Index(fields=["digest_date", "state"], name="digest_date_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.digest_date} for subscriber {self.subscriber_id}"

    @property
    def paper_ids(self) -> list[int]:
        return [item["paper"] for item in self.items]


class LinkEvent(models.Model):
    """A click on a paper or a feedback action, from a digest's signed links."""

    class Kind(models.TextChoices):
        CLICK = "click", "Click"
        MORE = "more", "More like this"
        LESS = "less", "Less like this"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="link_events")
    paper = models.ForeignKey(
        "ranking.Paper", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} on paper {self.paper_id} (digest {self.digest_id})"
