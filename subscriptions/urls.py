from __future__ import annotations

app_name = "subscriptions"
urlpatterns: list[object] = []
