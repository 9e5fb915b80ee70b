from __future__ import annotations

from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Emails and delivery"

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.core import checks

        from emails.checks import check_from_address
        from emails.services.retention import check_retention_settings
        from emails.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="emails.on_tracking")
        checks.register(check_retention_settings)
        checks.register(check_from_address, deploy=True)
