from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible

from subscriptions.addresses import MAX_EMAIL_LENGTH as MAX_EMAIL_LENGTH  # forms read it here
from subscriptions.addresses import display_address, validate_address
from subscriptions.fields import has_control_chars


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Unknown time zone: {value!r}", code="invalid_time_zone") from exc


@deconstructible
class StringListValidator:
    """A JSON list of short, control-free strings: what every interest list must be."""

    def __init__(self, max_items: int, item_max_length: int) -> None:
        self.max_items = max_items
        self.item_max_length = item_max_length

    def __call__(self, value: Any) -> None:
        if not isinstance(value, list) or len(value) > self.max_items:
            raise ValidationError(f"A list of at most {self.max_items} entries.", code="list")
        for item in value:
            if not isinstance(item, str) or not item or len(item) > self.item_max_length:
                raise ValidationError("Entries must be short, non-empty text.", code="item")
            if has_control_chars(item):
                raise ValidationError("Entries cannot contain control characters.", code="item")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, StringListValidator)
            and other.max_items == self.max_items
            and other.item_max_length == self.item_max_length
        )


# Bounds shared by forms and model validation (forms.py imports them).
KEYWORD_LIMITS = (30, 80)
CATEGORY_LIMITS = (30, 32)
AUTHOR_LIMITS = (30, 100)
# Seeds are base arXiv ids or catalogue ids ("doi:…", "title:…"), as long as Paper.canonical_id.
SEED_LIMITS = (20, 128)


class Topic(models.Model):
    """An admin-curated interest a subscriber can tick on the sign-up page."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    keywords = models.JSONField(default=list, blank=True, validators=[StringListValidator(100, 80)])
    categories = models.JSONField(
        default=list, blank=True, validators=[StringListValidator(*CATEGORY_LIMITS)]
    )
    seed_papers = models.ManyToManyField("ranking.Paper", blank=True, related_name="+")
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the sign-up page.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    # Always stored canonical (subscriptions.addresses), so `unique` means one per mailbox.
    email = models.EmailField(
        max_length=MAX_EMAIL_LENGTH, unique=True, validators=[validate_address]
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmation_send_count = models.PositiveIntegerField(default=0)
    manage_link_sent_at = models.DateTimeField(null=True, blank=True)
    # Bumping this revokes every confirm/manage/unsubscribe link issued so far.
    token_version = models.PositiveIntegerField(default=1)
    # The personal Atom feed's own version: "reset feed link" revokes only the feed URL.
    feed_token_version = models.PositiveIntegerField(default=1)

    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    weekly_day = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    papers_per_digest = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(5), MaxValueValidator(50)]
    )
    delivery_hour = models.PositiveSmallIntegerField(
        default=7, validators=[MaxValueValidator(23)], help_text="Local hour, 0-23."
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    paused = models.BooleanField(default=False)

    topics = models.ManyToManyField(Topic, blank=True, related_name="subscribers")
    keywords = models.JSONField(
        default=list, blank=True, validators=[StringListValidator(*KEYWORD_LIMITS)]
    )
    negative_keywords = models.JSONField(
        default=list, blank=True, validators=[StringListValidator(*KEYWORD_LIMITS)]
    )
    categories = models.JSONField(
        default=list, blank=True, validators=[StringListValidator(*CATEGORY_LIMITS)]
    )
    authors = models.JSONField(
        default=list, blank=True, validators=[StringListValidator(*AUTHOR_LIMITS)]
    )
    # Base arXiv ids as given; `seed_papers` holds those the catalogue knows (resolved on save).
    seed_paper_ids = models.JSONField(
        default=list, blank=True, validators=[StringListValidator(*SEED_LIMITS)]
    )
    seed_papers = models.ManyToManyField("ranking.Paper", blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(papers_per_digest__gte=5, papers_per_digest__lte=50),
                name="subscriber_papers_per_digest_5_50",
            ),
            models.CheckConstraint(
                condition=models.Q(delivery_hour__lte=23), name="subscriber_delivery_hour_0_23"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_email(self) -> str:
        """The address as its owner writes it (an IDN domain in Unicode), for pages and mail."""
        return display_address(self.email)

    @property
    def receives_digests(self) -> bool:
        return self.status == self.Status.ACTIVE and not self.paused


class Feedback(models.Model):
    class Kind(models.TextChoices):
        LIKED = "liked", "Liked"
        DISLIKED = "disliked", "Disliked"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="feedback")
    paper = models.ForeignKey("ranking.Paper", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="feedback_once_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.kind} {self.paper_id}"


class AuditEvent(models.Model):
    """Who changed what, when. Written only by service functions and admin hooks."""

    class Actor(models.TextChoices):
        USER = "user", "Staff user"
        SUBSCRIBER = "subscriber", "Subscriber"
        SYSTEM = "system", "System"

    actor = models.CharField(max_length=16, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64)
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
