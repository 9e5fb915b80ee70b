from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from ranking.models import IngestionRun, Paper, Recommendation, SubscriberModel

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
    list_display = ["subscriber", "encoder", "fitted_at"]
    search_fields = ["subscriber__email"]
    exclude = ["data"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
