from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from ranking import core
from ranking.models import IngestionRun, Paper, Recommendation, SubscriberModel
from ranking.services import encoding

PAPER_SOURCES = ["arxiv-api", "arxiv-oai", "hf", "file", "demo"]


class PaperSourceFilter(admin.SimpleListFilter):
    """Papers by source, with how many each source contributed."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (name, f"{name} ({Paper.objects.filter(_has_source(name)).count():,})")
            for name in PAPER_SOURCES
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(_has_source(value)) if value else queryset


def _has_source(name: str) -> Any:
    from django.db.models import Q

    # JSON text contains '"name"': works on SQLite and PostgreSQL alike.
    return Q(sources__icontains=f'"{name}"')


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin[Paper]):
    list_display = ["title", "canonical_id", "version", "primary_category", "upvotes",
                    "source_list", "first_seen"]  # fmt: skip
    list_filter = [PaperSourceFilter, "primary_category", "trending_on", "first_seen"]
    search_fields = ["title", "canonical_id", "abstract", "doi"]
    readonly_fields = ["first_seen", "last_changed", "title_key"]
    date_hierarchy = "first_seen"

    @admin.display(description="sources")
    def source_list(self, paper: Paper) -> str:
        return ", ".join(paper.sources)


class RunSourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        counts = dict(IngestionRun.objects.values_list("source").annotate(n=Count("id")).order_by())
        return [
            (value, f"{label} ({counts.get(value, 0):,} runs)")
            for value, label in IngestionRun.Source.choices
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(source=value) if value else queryset


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin[IngestionRun]):
    list_display = ["started_at", "source", "window", "status", "fetched", "created", "updated",
                    "unchanged", "skipped", "duration", "short_error"]  # fmt: skip
    list_filter = [RunSourceFilter, "status", "started_at"]
    search_fields = ["window", "errors"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in IngestionRun._meta.fields] + ["duration"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="error")
    def short_error(self, run: IngestionRun) -> str:
        first = run.errors.splitlines()[0] if run.errors else ""
        return first[:120]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin[Recommendation]):
    """What the nightly run recommended: read-only, written by ranking.services.recommend."""

    list_display = ["run_date", "subscriber", "rank", "paper", "score", "interest", "explanation"]
    list_filter = ["run_date"]
    search_fields = ["subscriber__email", "paper__title"]
    list_select_related = ["subscriber", "paper"]
    date_hierarchy = "run_date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SubscriberModel)
class SubscriberModelAdmin(admin.ModelAdmin[SubscriberModel]):
    """Read-only: models are fit from profiles and feedback; the page shows what one learnt."""

    list_display = ["subscriber", "encoder", "fitted_at", "next_encoder"]
    search_fields = ["subscriber__email"]
    fields = readonly_fields = (
        "subscriber",
        "encoder",
        "fitted_at",
        "what_it_learnt",
        "next_encoder",
    )

    @admin.display(description="What it learnt")
    def what_it_learnt(self, row: SubscriberModel) -> str:
        try:
            model = core.SubscriberModel.from_bytes(bytes(row.data))
        except ValueError as exc:
            return str(exc)
        try:
            lsa = encoding.saved_encoder()
        except core.EncoderUnavailable:
            lsa = None
        # Term ids only mean something with the encoder the model was fit with.
        vocab = lsa.words.terms if lsa is not None and lsa.fingerprint() in row.encoder else None
        items = format_html_join(
            "",
            "<div>{} ({}): {}{}</div>",
            (
                (i.name, i.kind, _words(i, vocab), _categories(i.category_weights))
                for i in model.interests
            ),
        )
        notes = [model.reason] if model.reason else []
        if model.unmatched:
            notes.append("matches nothing: " + ", ".join(model.unmatched))
        if model.unknown_papers:
            notes.append(f"{model.unknown_papers} papers not in the catalogue (skipped)")
        return format_html("{}<div>{}</div>", items, "; ".join(notes))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _categories(weights: dict[str, float]) -> str:
    """'; categories cs.CL +1.20, cs.LG +0.31, hep-th -0.52': the strongest first."""
    if not weights:
        return ""
    ranked = sorted(weights.items(), key=lambda kv: -abs(kv[1]))
    return "; categories " + ", ".join(f"{c} {w:+.2f}" for c, w in ranked)


def _words(interest: core.InterestModel, vocab: Any) -> str:
    """Its strongest words ('retrieval, dense retrieval, ...'), or how many when unknown."""
    if vocab is None or not len(interest.term_ids):
        return f"{len(interest.term_ids)} words"
    top = interest.term_weights.argsort()[::-1][:8]
    return ", ".join(str(vocab[int(interest.term_ids[k])]) for k in top)
