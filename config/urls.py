from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.admin_login import admin_login

admin.site.site_header = "Paperboy administration"
admin.site.site_title = "Paperboy admin"

urlpatterns = [
    # Before admin.site.urls: the same path, so this throttled view answers the login form.
    path(f"{settings.ADMIN_URL}login/", admin_login),
    path(settings.ADMIN_URL, admin.site.urls),
    path("dev/mail/", include("emails.urls_dev")),
    path("webhooks/anymail/", include("emails.urls_anymail")),
    path("", include("emails.urls")),
    path("", include("ranking.urls")),
    path("", include("subscriptions.urls")),
]
