"""Operators' view of digests (the delivery ledger) and link events, plus a preview of any
subscriber's next digest rendered by the same code as the real one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator

from emails.admin_delivery import resend_uncertain, retry_failed
from emails.csp import allow_email_styles
from emails.models import Digest, LinkEvent
from emails.services.digest import recipient_for, render_digest
from emails.services.preview import PREVIEW_LABEL, preview_digest
from subscriptions.addresses import canonical_or_lower
from subscriptions.models import Subscriber


class PreviewForm(forms.Form):
    email = forms.EmailField(label="Subscriber's email")


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin[Digest]):
    list_display = [
        "digest_date", "subscriber", "kind", "state", "paper_count", "attempts", "last_error",
    ]  # fmt: skip
    actions = [retry_failed, resend_uncertain]
    list_filter = ["state", "kind", "digest_date"]
    search_fields = ["subscriber__email", "message_id"]
    date_hierarchy = "digest_date"
    list_select_related = ["subscriber"]
    change_list_template = "admin/emails/digest/change_list.html"
    readonly_fields = [field.name for field in Digest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Papers")
    def paper_count(self, digest: Digest) -> int:
        return len(digest.items)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="emails_digest_preview"),
            path("<int:pk>/email/", view(self.email_view), name="emails_digest_email"),
            *super().get_urls(),
        ]

    @method_decorator(allow_email_styles)
    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        form = PreviewForm(request.GET or None)
        context: dict[str, Any] = {**self.admin_site.each_context(request), "form": form}
        context.update(title="Preview a subscriber's next digest", opts=self.model._meta)
        if form.is_valid():
            subscriber = Subscriber.objects.filter(
                email=canonical_or_lower(form.cleaned_data["email"])
            ).first()
            if subscriber is None:
                form.add_error("email", "No subscriber with this address.")
            else:
                message = preview_digest(subscriber)
                context.update(
                    subscriber=subscriber,
                    message=message,
                    html=message.alternatives[0][0],
                    headers=sorted(message.extra_headers.items()),
                    label=PREVIEW_LABEL,
                )
        return TemplateResponse(request, "admin/emails/digest/preview.html", context)

    @method_decorator(allow_email_styles)
    def email_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The stored digest, rendered from its snapshot (what "view in browser" shows)."""
        digest = Digest.objects.select_related("subscriber").filter(pk=pk).first()
        if digest is None or not self.has_view_permission(request, digest):
            raise Http404
        _, html = render_digest(digest, recipient_for(digest.subscriber))
        return HttpResponse(html)


@admin.register(LinkEvent)
class LinkEventAdmin(admin.ModelAdmin[LinkEvent]):
    list_display = ["created_at", "kind", "counted", "reason", "paper", "digest"]
    list_filter = ["kind", "counted", "reason", "created_at"]
    list_select_related = ["paper", "digest"]
    readonly_fields = ["digest", "paper", "kind", "created_at", "user_agent", "counted", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
