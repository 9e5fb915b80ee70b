"""Operators' view of the nightly delivery: runs with per-stage counts and durations, failures
with reasons, a chart of sends/bounces/clicks per day, the global pause switch, suppressions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from emails.models import DeliveryEvent, Digest, NightlyRun, Suppression
from emails.services.report import chart_rows, daily_activity
from emails.services.send import sending_paused, set_sending_paused


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "-"
    return duration_label((end - start).total_seconds())


def duration_label(seconds: float) -> str:
    """Short enough for a table cell: "45.2s", "20m 35s", "3h 25m"."""
    if round(seconds, 1) < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def _lines(*lines: str) -> str:
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


def beat_schedule() -> list[dict[str, str]]:
    """Celery beat's schedule as configured in code (config/settings/base.py)."""
    return [
        {"name": name, "task": str(entry["task"]), "schedule": str(entry["schedule"])}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    ]


@admin.register(NightlyRun)
class NightlyRunAdmin(admin.ModelAdmin[NightlyRun]):
    # Fits a 1366px window beside the admin's menu and filters: what an operator scans first
    # (due, sent, failed, uncertain) in columns of their own; the rest of the counts and the
    # three stage times each share a column, one line apiece. The run's page has every field.
    list_display = [
        "slot_hour", "status", "due", "sent", "failed", "uncertain", "other_counts", "stage_times",
    ]  # fmt: skip
    list_display_links = ["slot_hour"]
    # A run is the record of one slot's delivery, nothing to act on in bulk: no checkbox column
    # (one run can still be deleted from its own page).
    actions = None
    list_filter = ["status", "slot"]
    date_hierarchy = "slot"
    change_list_template = "admin/emails/nightlyrun/change_list.html"
    change_form_template = "admin/emails/nightlyrun/change_form.html"
    readonly_fields = [field.name for field in NightlyRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Slot (UTC)", ordering="slot")
    def slot_hour(self, run: NightlyRun) -> str:
        return f"{run.slot.astimezone(UTC):%Y-%m-%d %H:%M}"

    @admin.display(description="Suppressed, skipped, retried")
    def other_counts(self, run: NightlyRun) -> str:
        return _lines(
            f"{run.suppressed} suppressed", f"{run.skipped} skipped", f"{run.retried} retried"
        )

    @admin.display(description="Rank, build, send")
    def stage_times(self, run: NightlyRun) -> str:
        return _lines(
            f"rank {_seconds(run.rank_started_at, run.rank_finished_at)}",
            f"build {_seconds(run.build_started_at, run.build_finished_at)}",
            f"send {_seconds(run.send_started_at, run.send_finished_at)}",
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("sending/", view(require_POST(self.switch_view)), name="emails_sending_switch"),
            path(
                "<int:run_id>/resend/",
                view(require_POST(self.resend_view)),
                name="emails_nightlyrun_resend",
            ),
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
        context = {
            **(extra_context or {}),
            "problems": problems.select_related("subscriber")[:200],
            "failed": problems.filter(state=Digest.State.FAILED).count(),
            "uncertain": problems.filter(state=Digest.State.UNCERTAIN).count(),
        }
        return super().change_view(request, object_id, form_url, context)

    def resend_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """The run's failed digests, or its uncertain ones, back to pending and sent again
        (the Digests list's two actions, for one run's problems at once)."""
        if not request.user.has_perm("emails.change_digest"):
            return TemplateResponse(request, "admin/404.html", status=403)
        uncertain = request.POST.get("state") == Digest.State.UNCERTAIN
        state = Digest.State.UNCERTAIN if uncertain else Digest.State.FAILED
        _retry(request, Digest.objects.filter(nightly_run_id=run_id, state=state), uncertain)
        return HttpResponseRedirect(reverse("admin:emails_nightlyrun_change", args=[run_id]))

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
