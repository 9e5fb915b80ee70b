"""Changes subscriptions announces to the apps above it, which it may not import.

Each app connects its receivers in its AppConfig.ready() (ranking/apps.py, emails/apps.py;
the receivers are in its receivers.py). Both signals are sent inside the transaction that makes
the change, so a receiver's own writes commit or roll back with it, and work it enqueues with
`delay_on_commit` runs only once the change is committed.
"""

from __future__ import annotations

from django.dispatch import Signal

# A subscriber's interests or feedback changed: their ranking model is out of date.
# Arguments: subscriber_id (int).
interests_changed = Signal()

# These subscribers are being erased (services/erasure.py), before their rows go: every app
# erases what it holds about them that no cascade from the Subscriber row reaches.
# Arguments: subscriber_ids (list[int]), emails (set[str], canonical addresses).
erasing_subscribers = Signal()
