from __future__ import annotations

from django.urls import path

from ranking import views
from ranking.feeds import TrendingFeed

app_name = "ranking"
# "/" is the sign-up page (subscriptions), which shows the trending list below its form.
urlpatterns = [
    path("papers/", views.home, name="home"),
    # Canonical ids contain "/" (math.GT/0309136, doi:10.1000/x): the path converter keeps them.
    path("papers/<path:canonical_id>/", views.paper_view, name="paper"),
    path("day/<str:day>/", views.day_view, name="day"),
    path("topics/<slug:slug>/", views.topic_view, name="topic"),
    path("search/", views.search_view, name="search"),
    path("feeds/trending/", TrendingFeed(), name="feed_trending"),
    path("feeds/trending/<str:day>/", TrendingFeed(), name="feed_day"),
    path("feeds/topics/<slug:slug>/", TrendingFeed(), name="feed_topic"),
]
