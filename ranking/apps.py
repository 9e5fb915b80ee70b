from __future__ import annotations

from django.apps import AppConfig


class RankingConfig(AppConfig):
    name = "ranking"
    verbose_name = "Papers and ranking"

    def ready(self) -> None:
        """Answer the hooks of subscriptions, the app below, and hear its signals: it may not
        import ranking (docs/architecture.md)."""
        from ranking.receivers import refit_after_commit
        from ranking.services.interest_check import check_interests
        from ranking.views import find_paper, trending_context
        from subscriptions import hooks
        from subscriptions.signals import interests_changed

        hooks.install(
            trending_context=trending_context,
            find_paper=find_paper,
            check_interests=check_interests,
        )
        interests_changed.connect(refit_after_commit, dispatch_uid="ranking.refit_after_commit")
