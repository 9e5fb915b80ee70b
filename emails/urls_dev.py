"""The local mail catcher's viewer: only answers when settings.MAIL_CATCHER_DIR is set."""

from __future__ import annotations

from django.urls import path

from emails import views

app_name = "mailcatcher"
urlpatterns = [
    path("", views.caught_mail_list, name="list"),
    path("<str:key>/", views.caught_mail_detail, name="detail"),
    path("<str:key>/html/", views.caught_mail_html, name="html"),
]
