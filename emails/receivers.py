"""What emails does when an app below it announces a change (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from emails.services.suppression import forget_erased


def forget_erased_addresses(sender: Any, emails: set[str], **kwargs: Any) -> None:
    """Subscribers are being erased (subscriptions/services/erasure.py): in the same
    transaction, their bounce records keep only a hash and the admin history naming them goes."""
    forget_erased(emails)
