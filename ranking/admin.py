from __future__ import annotations

from django.contrib import admin

from ranking.models import Paper


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin[Paper]):
    list_display = ["title", "canonical_id", "primary_category", "upvotes", "first_seen"]
    list_filter = ["primary_category", "trending_on", "first_seen"]
    search_fields = ["title", "canonical_id", "abstract", "doi"]
    readonly_fields = ["first_seen", "last_changed"]
    date_hierarchy = "first_seen"
