"""django-anymail's ESP tracking webhooks, each behind `webhooks.anymail_tracking_view`.

Only the tracking endpoints: Paperboy handles no inbound mail, so the inbound ones are not
mounted. Built from anymail.urls, so a new Anymail release's ESPs come with it.
"""

from __future__ import annotations

from anymail import urls as anymail_urls
from django.urls import URLPattern, path

from emails.webhooks import anymail_tracking_view

app_name = "anymail"


def _tracking(pattern: URLPattern) -> bool:
    return bool(pattern.name) and str(pattern.name).endswith("tracking_webhook")


urlpatterns = [
    path(str(p.pattern), anymail_tracking_view(p.callback.view_class), name=p.name)  # type: ignore[attr-defined]
    for p in anymail_urls.urlpatterns
    if isinstance(p, URLPattern) and _tracking(p)
]
