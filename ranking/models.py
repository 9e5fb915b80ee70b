from __future__ import annotations

from django.db import models


class Paper(models.Model):
    """One paper in the catalogue, whatever source(s) it came from."""

    # Base arXiv id without version ("2401.01234", "math.GT/0309136") where there is one,
    # otherwise "doi:<doi>" or "title:<hash of the normalised title>".
    canonical_id = models.CharField(max_length=128, unique=True)
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
    doi = models.CharField(max_length=255, blank=True)
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
