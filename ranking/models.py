from __future__ import annotations

from datetime import timedelta

from django.db import models


class Paper(models.Model):
    """One paper in the catalogue, whatever source(s) it came from."""

    # Base arXiv id without version ("2401.01234", "math.GT/0309136") where there is one,
    # otherwise "doi:<doi>" or "title:<hash of the normalised title>".
    canonical_id = models.CharField(max_length=128, unique=True)
    # Hash of the normalised title (ranking.identifiers.title_key): lets a title-only record and
    # an arXiv record of the same paper find each other.
    title_key = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True, help_text="Ordered list of names.")
    categories = models.JSONField(default=list, blank=True, help_text="Primary category first.")
    primary_category = models.CharField(max_length=32, blank=True, db_index=True)
    published = models.DateTimeField(null=True, blank=True, db_index=True)
    updated = models.DateTimeField(null=True, blank=True)
    abs_url = models.URLField(max_length=500, blank=True)
    pdf_url = models.URLField(max_length=500, blank=True)
    doi = models.CharField(max_length=255, blank=True, db_index=True)
    sources = models.JSONField(default=list, blank=True)
    upvotes = models.PositiveIntegerField(null=True, blank=True, help_text="Trending signal.")
    comments = models.PositiveIntegerField(null=True, blank=True)
    trending_on = models.DateField(null=True, blank=True, db_index=True)
    # When the catalogue first saw the paper: what makes it "new" for a digest. A later
    # version updates the row but never moves this.
    first_seen = models.DateTimeField(auto_now_add=True, db_index=True)
    last_changed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_seen", "-id"]

    def __str__(self) -> str:
        return self.title[:80]


class IngestionRun(models.Model):
    """One run of one source over one window: what it fetched, wrote and why it failed."""

    class Source(models.TextChoices):
        ARXIV = "arxiv", "arXiv API"
        OAI = "oai", "arXiv OAI-PMH"
        HF = "hf", "Hugging Face daily papers"
        FILE = "file", "File"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=16, choices=Source.choices, db_index=True)
    window = models.CharField(max_length=500, blank=True, help_text="Dates, categories or path.")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True
    )
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0, help_text="Records read from the source.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Invalid records, not written.")
    errors = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.window} ({self.status})"

    @property
    def duration(self) -> timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class Recommendation(models.Model):
    """One paper recommended to one subscriber for one digest date, written by the nightly run.

    Unique per (subscriber, run date, paper) and per (subscriber, run date, rank): re-running
    the ranking for a date replaces its rows in one transaction, never adds to them.
    """

    subscriber = models.ForeignKey(
        "subscriptions.Subscriber", on_delete=models.CASCADE, related_name="recommendations"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    run_date = models.DateField(db_index=True)
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    explanation = models.CharField(max_length=300)
    interest = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscriber_id", "run_date", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "run_date", "paper"], name="recommendation_once_per_paper"
            ),
            models.UniqueConstraint(
                fields=["subscriber", "run_date", "rank"], name="recommendation_rank_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.paper_id} for {self.subscriber_id} on {self.run_date}"


class SubscriberModel(models.Model):
    """A subscriber's fitted ranking model (ranking.core), refit when the profile or feedback
    changes rather than every night; `profile_hash` tells whether it is stale."""

    subscriber = models.OneToOneField(
        "subscriptions.Subscriber", on_delete=models.CASCADE, related_name="ranking_model"
    )
    encoder = models.CharField(max_length=64, help_text="Encoder configuration it was fit with.")
    profile_hash = models.CharField(max_length=64)
    data = models.BinaryField()
    fitted_at = models.DateTimeField(auto_now=True)
    # The same model fitted against the next encoder while it is being prepared
    # (ranking/services/encoder_switch.py); empty otherwise.
    next_encoder = models.CharField(max_length=64, blank=True, default="")
    next_profile_hash = models.CharField(max_length=64, blank=True, default="")
    next_data = models.BinaryField(null=True, blank=True)

    def __str__(self) -> str:
        return f"model of {self.subscriber_id} ({self.encoder})"
