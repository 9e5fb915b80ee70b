from __future__ import annotations

from django.urls import path

from ranking import views

app_name = "ranking"
urlpatterns = [
    path("", views.home, name="home"),
]
