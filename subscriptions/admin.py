"""Operators' view of subscribers. Every change goes through a service and is audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from subscriptions import tasks
from subscriptions.fields import StringListField, normalise_category
from subscriptions.forms import normalise_email
from subscriptions.models import AuditEvent, Feedback, Subscriber, Topic
from subscriptions.services import erasure, preferences, signup
from subscriptions.services.audit import record_event


class TopicForm(forms.ModelForm[Topic]):
    keywords = StringListField(max_items=100, help_text="One per line or comma-separated.")
    categories = StringListField(normalise=normalise_category, help_text="e.g. cs.CL, stat.ML")

    class Meta:
        model = Topic
        fields = [
            "name",
            "slug",
            "description",
            "keywords",
            "categories",
            "seed_papers",
            "active",
            "position",
        ]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    form = TopicForm
    list_display = ["name", "slug", "active", "position", "keyword_list", "subscriber_count"]
    list_editable = ["active", "position"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["seed_papers"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).annotate(n_subscribers=Count("subscribers"))

    @admin.display(description="Keywords")
    def keyword_list(self, topic: Topic) -> str:
        return ", ".join(topic.keywords)  # plain text: admin escapes it

    @admin.display(description="Subscribers", ordering="n_subscribers")
    def subscriber_count(self, topic: Any) -> int:
        return int(topic.n_subscribers)


class SubscriberForm(forms.ModelForm[Subscriber]):
    keywords = StringListField()
    negative_keywords = StringListField()
    categories = StringListField(normalise=normalise_category)
    authors = StringListField(max_items=30, item_max_length=100)

    class Meta:
        model = Subscriber
        fields = [
            "email",
            "status",
            "paused",
            "frequency",
            "weekly_day",
            "papers_per_digest",
            "delivery_hour",
            "time_zone",
            "topics",
            "keywords",
            "negative_keywords",
            "categories",
            "authors",
            "seed_paper_ids",
        ]

    def clean_email(self) -> str:
        return normalise_email(str(self.cleaned_data["email"]))


class FeedbackInline(admin.TabularInline[Feedback, Subscriber]):
    model = Feedback
    extra = 0
    fields = ["paper", "kind", "created_at"]
    readonly_fields = ["paper", "kind", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    form = SubscriberForm
    list_display = [
        "email",
        "status",
        "paused",
        "frequency",
        "topic_list",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "paused", "frequency", "topics"]
    search_fields = ["email"]
    filter_horizontal = ["topics"]
    readonly_fields = [
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "confirmation_sent_at",
        "confirmation_send_count",
        "manage_link_sent_at",
        "token_version",
    ]
    inlines = [FeedbackInline]
    actions = ["confirm", "pause", "resume", "resend_confirmation", "revoke_links"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscriber]:
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description="Topics")
    def topic_list(self, subscriber: Subscriber) -> str:
        return ", ".join(topic.name for topic in subscriber.topics.all())

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        counts = dict(Subscriber.objects.values_list("status").annotate(n=Count("id")).order_by())
        totals = [(label, counts.get(value, 0)) for value, label in Subscriber.Status.choices]
        totals.append(("Paused", Subscriber.objects.filter(paused=True).count()))
        extra = {"status_totals": totals, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def save_model(self, request: HttpRequest, obj: Subscriber, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action = "admin_changed" if change else "admin_created"
        record_event(action, obj, user=request.user, fields=sorted(form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Subscriber) -> None:
        erasure.delete_subscriber(obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            erasure.delete_subscriber(subscriber, user=request.user)

    @admin.action(description="Confirm selected subscribers")
    def confirm(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        done = sum(
            signup.confirm_subscription(s, actor="user", user=request.user) for s in queryset
        )
        self.message_user(request, f"{done} subscriber(s) confirmed.", messages.SUCCESS)

    @admin.action(description="Pause digests")
    def pause(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        done = sum(preferences.set_paused(s, True, user=request.user) for s in queryset)
        self.message_user(request, f"{done} subscriber(s) paused.", messages.SUCCESS)

    @admin.action(description="Resume digests")
    def resume(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        done = sum(preferences.set_paused(s, False, user=request.user) for s in queryset)
        self.message_user(request, f"{done} subscriber(s) resumed.", messages.SUCCESS)

    @admin.action(description="Send the confirmation email again (pending only)")
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        now = timezone.now().isoformat()
        pending = list(queryset.filter(status=Subscriber.Status.PENDING))
        for subscriber in pending:
            record_event("confirmation_resent", subscriber, user=request.user)
            tasks.send_confirmation_email.delay_on_commit(subscriber.pk, now)
        self.message_user(request, f"{len(pending)} confirmation email(s) queued.")

    @admin.action(description="Revoke all emailed links (confirm, manage, unsubscribe)")
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            preferences.revoke_links(subscriber, user=request.user)
        self.message_user(request, f"Links revoked for {queryset.count()} subscriber(s).")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["created_at", "actor", "user", "action", "subscriber", "details"]
    list_filter = ["actor", "action"]
    search_fields = ["subscriber__email", "action"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
