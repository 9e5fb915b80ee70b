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
        # The worker died (or the connection broke) after handing the message to the server
        # and before its reply was recorded: it may or may not have gone out. Never re-sent
        # automatically (see emails/services/ledger.py).
        UNCERTAIN = "uncertain", "Uncertain (may have been sent)"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    digest_date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DIGEST)
    items = models.JSONField(default=list, blank=True)
    # Interests that had found nothing for DIGEST_SILENT_INTEREST_DAYS, mentioned in this
    # email (each one once per subscriber, ever: emails/services/silent.py).
    nudged_interests = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set in its own committed UPDATE just before the message data goes to the server: a
    # 'sending' row without it certainly never went out and may be sent again.
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # Who is responsible for a pending or sending row (emails/services/ledger.py, rule 4): a
    # running send task holds it until `lease_expires_at`, renewing while it works; `queued_at`
    # is when a send task for it was enqueued (its countdown included). A row neither held nor
    # recently queued belongs to nobody, and the recovery sweep enqueues it again.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    nightly_run = models.ForeignKey(
        "emails.NightlyRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-digest_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "digest_date"], name="digest_once_per_subscriber_day"
            )
        ]
        indexes = [
            models.Index(fields=["digest_date", "state"], name="digest_date_state"),
            # A run's counters are counted from its rows, by state (nightly.settle_run).
            models.Index(fields=["nightly_run", "state"], name="digest_run_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.digest_date} for subscriber {self.subscriber_id}"

    @property
    def paper_ids(self) -> list[int]:
        return [item["paper"] for item in self.items]


class LinkEvent(models.Model):
    """A click on a paper or a feedback action, from a digest's signed links.

    Every click is recorded, but only a reader's first click on a paper, away from delivery
    and outside a burst, counts toward public trending (`counted`; the rule is
    emails/services/clicks.py). The rest keep their row, with the reason, so an operator can
    see what mail scanners and repeated requests did.
    """

    class Kind(models.TextChoices):
        CLICK = "click", "Click"
        MORE = "more", "More like this"
        LESS = "less", "Less like this"

    class Reason(models.TextChoices):
        NONE = "", "—"
        REPEAT = "repeat", "Reader already clicked this paper"
        AT_DELIVERY = "at_delivery", "Seconds after delivery (mail scanner)"
        BURST = "burst", "Burst of clicks on one digest"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="link_events")
    paper = models.ForeignKey(
        "ranking.Paper", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user_agent = models.CharField(max_length=200, blank=True)
    # False unless emails.services.clicks decided this click counts: a row written any other
    # way (feedback, imports, a future code path) never moves the public list by accident.
    counted = models.BooleanField(
        default=False, help_text="Counts toward public trending (clicks only)."
    )
    reason = models.CharField(
        max_length=12,
        choices=Reason.choices,
        blank=True,
        default=Reason.NONE,
        help_text="Why a click does not count.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} on paper {self.paper_id} (digest {self.digest_id})"


class NightlyRun(models.Model):
    """One hourly delivery slot (UTC): who was due, and what each stage did.

    Unique per slot, so enqueuing a slot twice starts one run. The outcome counters (built,
    sent, failed, suppressed, skipped, uncertain) are counted from the run's Digest rows, never
    added up by tasks, so a task that died or ran twice cannot skew them; `chunks_done` counts
    chunks whose digests are recorded, capped at `chunks`. A stage's duration runs from its
    first chunk's start to its last's end.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    slot = models.DateTimeField(unique=True, help_text="The UTC hour this run delivers for.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    ingestion_run = models.ForeignKey(
        "ranking.IngestionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When its chunks were last planned (opened, or re-planned by the recovery sweep).
    planned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    due = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    ranked = models.PositiveIntegerField(default=0)
    built = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    uncertain = models.PositiveIntegerField(default=0)
    retried = models.PositiveIntegerField(default=0)
    rank_started_at = models.DateTimeField(null=True, blank=True)
    rank_finished_at = models.DateTimeField(null=True, blank=True)
    build_started_at = models.DateTimeField(null=True, blank=True)
    build_finished_at = models.DateTimeField(null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    send_finished_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(default=0.0)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"Nightly run {self.slot:%Y-%m-%d %H:00} UTC"


class Suppression(models.Model):
    """An address never sent to again (until an operator deletes the row)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        SOFT_BOUNCES = "soft_bounces", "Repeated soft bounces"
        REJECTED = "rejected", "Rejected by the SMTP server (5xx)"
        MANUAL = "manual", "Added by an operator"

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"


class DeliveryEvent(models.Model):
    """A bounce, complaint or delivery report from a webhook (or an SMTP 5xx at send time).

    `event_id` is the provider's id: a replayed webhook is recorded once.
    """

    class Kind(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCE = "soft_bounce", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"
        REJECTED = "rejected", "Rejected at send time"

    email = models.EmailField(max_length=254, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    event_id = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=32, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.email}"


class DeliverySwitch(models.Model):
    """The operator's global pause (one row, pk=1); send tasks read it before each chunk."""

    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return "Sending paused" if self.paused else "Sending on"
