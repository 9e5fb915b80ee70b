from __future__ import annotations

from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Emails and delivery"

    def ready(self) -> None:
        from anymail.signals import tracking

        from emails.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="emails.on_tracking")
