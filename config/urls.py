from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Paperboy administration"
admin.site.site_title = "Paperboy admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("dev/mail/", include("emails.urls_dev")),
    path("webhooks/anymail/", include("anymail.urls")),
    path("", include("emails.urls")),
    path("", include("ranking.urls")),
    path("", include("subscriptions.urls")),
]
