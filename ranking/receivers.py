"""What ranking does when subscriptions, below it, announces a change (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from ranking.tasks import refresh_subscriber_model


def refit_after_commit(sender: Any, subscriber_id: int, **kwargs: Any) -> None:
    """Interests or feedback changed: refit the subscriber's model once the change is committed
    (seconds later, not at night; the task refits only if the profile really changed)."""
    refresh_subscriber_model.delay_on_commit(subscriber_id)
