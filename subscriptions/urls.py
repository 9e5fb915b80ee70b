from __future__ import annotations

from django.urls import path

from subscriptions import views

app_name = "subscriptions"
urlpatterns = [
    path("", views.signup_view, name="signup"),
    path("check-your-inbox/", views.check_inbox, name="check_inbox"),
    path("link/", views.request_link_view, name="request_link"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("manage/<str:token>/", views.manage_view, name="manage"),
    path("manage/<str:token>/export/", views.export_view, name="export"),
    path("manage/<str:token>/delete/", views.delete_view, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
