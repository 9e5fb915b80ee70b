from __future__ import annotations

from django.urls import path

from ranking import views

app_name = "ranking"
# "/" is the sign-up page (subscriptions), which shows the same list below its form.
urlpatterns = [
    path("papers/", views.home, name="home"),
]
