"""Operators' view of the nightly delivery: runs with per-stage counts and durations, failures
with reasons, a chart of sends/bounces/clicks per day, the global pause switch, suppressions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from emails.models import DeliveryEvent, Digest, NightlyRun, Suppression
from emails.services.report import chart_rows, daily_activity
from emails.services.send import sending_paused, set_sending_paused


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "-"
    return f"{(end - start).total_seconds():.1f} s"


def beat_schedule() -> list[dict[str, str]]:
    """Celery beat's schedule as configured in code (config/settings/base.py)."""
    return [
        {"name": name, "task": str(entry["task"]), "schedule": str(entry["schedule"])}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    ]


@admin.register(NightlyRun)
class NightlyRunAdmin(admin.ModelAdmin[NightlyRun]):
    list_display = [
        "slot", "status", "due", "sent", "failed", "uncertain", "suppressed", "skipped",
        "retried", "rank_time", "build_time", "send_time",
    ]  # fmt: skip
    list_filter = ["status", "slot"]
    date_hierarchy = "slot"
    change_list_template = "admin/emails/nightlyrun/change_list.html"
    change_form_template = "admin/emails/nightlyrun/change_form.html"
    readonly_fields = [field.name for field in NightlyRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Rank")
    def rank_time(self, run: NightlyRun) -> str:
        return _seconds(run.rank_started_at, run.rank_finished_at)

    @admin.display(description="Build")
    def build_time(self, run: NightlyRun) -> str:
        return _seconds(run.build_started_at, run.build_finished_at)

    @admin.display(description="Send")
    def send_time(self, run: NightlyRun) -> str:
        return _seconds(run.send_started_at, run.send_finished_at)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("sending/", view(require_POST(self.switch_view)), name="emails_sending_switch"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "chart": chart_rows(daily_activity()),
            "paused": sending_paused(),
            "schedule": beat_schedule(),
        }
        return super().changelist_view(request, context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        problems = Digest.objects.filter(nightly_run_id=int(object_id)).exclude(
            state__in=[Digest.State.SENT, Digest.State.SKIPPED]
        )
        context = {**(extra_context or {}), "problems": problems.select_related("subscriber")[:200]}
        return super().change_view(request, object_id, form_url, context)

    def switch_view(self, request: HttpRequest) -> HttpResponse:
        """Pause or resume all sending (a row in the database every send task reads)."""
        if not self.has_change_permission(request):
            return TemplateResponse(request, "admin/404.html", status=403)
        paused = request.POST.get("paused") == "1"
        set_sending_paused(paused, by=request.user.get_username())
        if not paused:
            from emails.tasks import recover_deliveries

            transaction.on_commit(lambda: recover_deliveries.delay(0))
        messages.info(request, "All sending is paused." if paused else "Sending resumed.")
        return HttpResponseRedirect(reverse("admin:emails_nightlyrun_changelist"))


@admin.action(description="Retry failed deliveries")
def retry_failed(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Digest]) -> None:
    _retry(request, queryset, include_uncertain=False)


@admin.action(description="Re-send uncertain deliveries (may send a duplicate)")
def resend_uncertain(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Digest]) -> None:
    _retry(request, queryset.filter(state=Digest.State.UNCERTAIN), include_uncertain=True)


def _retry(request: HttpRequest, queryset: QuerySet[Digest], include_uncertain: bool) -> None:
    from emails.services.ledger import retry_failed as put_back
    from emails.tasks import resend_digests

    ids = put_back(queryset.values_list("pk", flat=True), include_uncertain=include_uncertain)
    if ids:
        transaction.on_commit(lambda: resend_digests.delay(ids))
    messages.info(request, f"{len(ids)} digest(s) queued to send again.")


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin[Suppression]):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(admin.ModelAdmin[DeliveryEvent]):
    list_display = ["created_at", "kind", "email", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["email", "event_id"]
    readonly_fields = ["email", "kind", "event_id", "source", "detail", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
