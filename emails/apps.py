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
        self.answer_the_apps_below()

    def answer_the_apps_below(self) -> None:
        """Answer ranking's and subscriptions' hooks and hear their signals: they may not import
        emails, which sits above them (docs/architecture.md)."""
        import ranking.hooks
        import subscriptions.hooks
        from emails.message import build_email
        from emails.receivers import forget_erased_addresses
        from emails.services.clicks import counted_clicks
        from emails.services.digest import papers_sent_before
        from emails.services.suppression import suppression_of
        from subscriptions.signals import erasing_subscribers

        ranking.hooks.install(sent_papers=papers_sent_before, counted_clicks=counted_clicks)
        subscriptions.hooks.install(suppression_of=suppression_of, build_email=build_email)
        erasing_subscribers.connect(
            forget_erased_addresses, dispatch_uid="emails.forget_erased_addresses"
        )
