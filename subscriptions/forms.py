from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from functools import cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from subscriptions.addresses import AddressError, canonical_address, check_public
from subscriptions.fields import (
    LINE_SEPARATORS,
    SingleLineEmailField,
    StringListField,
    normalise_category,
    normalise_seed_paper,
)
from subscriptions.models import (
    AUTHOR_LIMITS,
    CATEGORY_LIMITS,
    KEYWORD_LIMITS,
    MAX_EMAIL_LENGTH,
    SEED_LIMITS,
    Subscriber,
    Topic,
)


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(zone, zone.replace("_", " ")) for zone in zones]


class FixedChoicesSelect(forms.Select):
    """A select over a long list that never changes (the ~600 time zones), rendered once per
    selected value and attributes: Django renders every <option> through a template, which made
    this one field cost ~20 ms of every sign-up and front page view."""

    _rendered: dict[tuple[object, ...], str] = {}

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        key = (
            name,
            repr(value),
            repr(sorted((attrs or {}).items())),
            repr(sorted(self.attrs.items())),
        )
        html = self._rendered.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(self._rendered) < 64:  # ~30 KB each; the common few (UTC, a form's id) fill it
                self._rendered[key] = html
        return html


class TopicChoiceField(forms.MultipleChoiceField):
    """Active topics by slug. Choices are read up front, so user input never reaches a query."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.topics: dict[str, Topic] = {}
        self.error_messages["invalid_choice"] = "Unknown topic: %(value)s."

    def load_topics(self) -> None:
        """Called per form instance: topics change in admin while the process runs."""
        self.topics = {topic.slug: topic for topic in Topic.objects.filter(active=True)}
        self.choices = [(slug, topic.name) for slug, topic in self.topics.items()]

    def clean(self, value: Any) -> list[Topic]:
        return [self.topics[slug] for slug in super().clean(value)]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [item.slug if isinstance(item, Topic) else item for item in value]
        return value


class PreferencesForm(forms.Form):
    """Everything a subscriber can choose: used on sign-up and in the preference centre."""

    topics = TopicChoiceField(label="Topics")
    keywords = StringListField(
        max_items=KEYWORD_LIMITS[0],
        item_max_length=KEYWORD_LIMITS[1],
        help_text="One per line or comma-separated, e.g. retrieval augmented generation.",
    )
    negative_keywords = StringListField(
        label="Not interested in",
        max_items=KEYWORD_LIMITS[0],
        item_max_length=KEYWORD_LIMITS[1],
        help_text="Papers matching these are left out, e.g. quantum.",
    )
    categories = StringListField(
        label="arXiv categories",
        max_items=CATEGORY_LIMITS[0],
        item_max_length=CATEGORY_LIMITS[1],
        normalise=normalise_category,
        help_text="e.g. cs.CL, stat.ML, hep-th.",
    )
    seed_papers = StringListField(
        label="Papers like these",
        max_items=SEED_LIMITS[0],
        item_max_length=200,
        normalise=normalise_seed_paper,
        help_text="arXiv ids or links, e.g. 2401.01234 or https://arxiv.org/abs/1706.03762.",
    )
    authors = StringListField(
        label="Authors to follow",
        max_items=AUTHOR_LIMITS[0],
        item_max_length=AUTHOR_LIMITS[1],
        separators=LINE_SEPARATORS,
        help_text="One name per line.",
    )
    frequency = forms.ChoiceField(choices=Subscriber.Frequency.choices, initial="daily")
    weekly_day = forms.TypedChoiceField(
        label="Weekly on",
        help_text="For weekly digests.",
        choices=Subscriber.Weekday.choices,
        coerce=int,
        initial=Subscriber.Weekday.MONDAY,
    )
    papers_per_digest = forms.IntegerField(
        label="Papers per digest", min_value=5, max_value=50, initial=20
    )
    delivery_hour = forms.TypedChoiceField(
        label="Delivery time",
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        initial=7,
    )
    time_zone = forms.ChoiceField(label="Time zone", initial="UTC", widget=FixedChoicesSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()  # type: ignore[attr-defined]
        self.fields["topics"].load_topics()  # type: ignore[attr-defined]
        # A missing optional setting means "keep the default", not "invalid".
        for name in ("frequency", "weekly_day", "papers_per_digest", "delivery_hour", "time_zone"):
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("frequency", "weekly_day", "papers_per_digest", "delivery_hour", "time_zone"):
            if cleaned.get(name) in (None, "") and name not in self.errors:
                cleaned[name] = self.fields[name].initial
        return cleaned


class KeptIdsField(forms.MultipleChoiceField):
    """Ticked boxes over ids the subscriber has. An id that is no longer theirs (removed in
    another tab) is dropped, not an error; the result keeps the choices' order."""

    widget = forms.CheckboxSelectMultiple
    ids: list[str] = []

    def set_ids(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        self.choices = [(item, item) for item in self.ids]

    def valid_value(self, value: str) -> bool:
        return True  # filtered in clean(): nothing outside `ids` gets through

    def clean(self, value: Any) -> list[str]:
        ticked = set(super().clean(value))
        return [item for item in self.ids if item in ticked]


class ManagePreferencesForm(PreferencesForm):
    """The preference centre's form: the chosen seed papers are boxes to keep (ticked at
    first) and `seed_papers` only adds more. It cleans to one `seed_papers` list, kept ids
    first, so `apply_preferences` stays the one place that writes them."""

    keep_seed_papers = KeptIdsField(required=False, label="Papers like these")

    def __init__(self, *args: Any, current_seed_ids: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keep_seed_papers"].set_ids(current_seed_ids)  # type: ignore[attr-defined]
        self.fields["seed_papers"].label = "Add papers like these"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kept = cleaned.pop("keep_seed_papers", [])
        if "seed_papers" not in cleaned:
            return cleaned  # the added ids have errors: nothing is saved anyway
        seeds = merge_ids(kept, cleaned["seed_papers"])
        if len(seeds) > SEED_LIMITS[0]:
            self.add_error(
                "seed_papers",
                f"At most {SEED_LIMITS[0]} papers in all, please (that would be {len(seeds)}): "
                "untick some to make room.",
            )
        else:
            cleaned["seed_papers"] = seeds
        return cleaned


def merge_ids(*lists: Sequence[str]) -> list[str]:
    """The ids of `lists` in order, each once (compared as StringListField does, ignoring case)."""
    merged: dict[str, str] = {}
    for item in (item for ids in lists for item in ids):
        merged.setdefault(item.casefold(), item)
    return list(merged.values())


class UndoFeedbackForm(forms.Form):
    """Which rating to undo. Bounded, so a huge number is a form error, not a database one."""

    feedback = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class SignupForm(PreferencesForm):
    field_order = ["email"]

    email = SingleLineEmailField(
        max_length=MAX_EMAIL_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@lab.org"}),
    )
    # Hidden from people by CSS; bots that fill every field are quietly ignored.
    website = forms.CharField(required=False, max_length=200, label="Leave this empty")

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class EmailOnlyForm(forms.Form):
    """Ask for a fresh link by address (the answer never says whether it is known)."""

    email = SingleLineEmailField(
        max_length=MAX_EMAIL_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@lab.org"}),
    )

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, delete my subscription and everything Paperboy stores about me."
    )


def normalise_email(email: str) -> str:
    """The canonical address (subscriptions.addresses): one subscriber per mailbox, however it
    is typed, and only addresses at a public domain."""
    try:
        address = canonical_address(email)
        check_public(address)
    except AddressError as exc:
        raise ValidationError(str(exc), code="invalid_address") from exc
    return address
