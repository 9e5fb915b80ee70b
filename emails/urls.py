"""Digest links (clicks, feedback, "view in browser") and the personal feed of the papers the
digests carried, all authenticated by signed tokens; the bounce webhook."""

from __future__ import annotations

from django.urls import path

from emails import views, webhooks
from emails.feeds import PersonalFeed

app_name = "emails"
urlpatterns = [
    path("r/<str:token>/", views.click_view, name="click"),
    path("r/<str:token>/more/", views.feedback_view, {"kind": "more"}, name="more"),
    path("r/<str:token>/less/", views.feedback_view, {"kind": "less"}, name="less"),
    path("digest/<str:token>/", views.view_in_browser, name="view"),
    path("feeds/you/<str:token>/", PersonalFeed(), name="feed"),
    path("webhooks/bounces/", webhooks.bounce_webhook, name="bounce_webhook"),
]
