"""What ranking asks of emails, the app above it, without importing it.

Two of ranking's answers depend on what was mailed and clicked, which emails records: a paper
already sent to a subscriber is never recommended to them again (services/recommend.py), and
readers' counted clicks on digest links add to a paper's trending signal
(services/trending.py). Each is a hook here whose default answers "none"; emails installs its
answers in its AppConfig.ready() (emails/apps.py). subscriptions/hooks.py is the same idea one
layer down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any


def _nothing_sent(subscriber_ids: Sequence[int], before: date) -> dict[int, list[int]]:
    return {}


def _no_clicks(paper_ids: Sequence[int], before: datetime) -> dict[int, int]:
    return {}


@dataclass
class Hooks:
    # emails/apps.py: {subscriber id: ids of the papers of their digests dated before `before`}.
    sent_papers: Callable[[Sequence[int], date], dict[int, list[int]]] = _nothing_sent
    # emails/apps.py: {paper id: distinct subscribers whose click on it counts (for trending),
    # clicked before `before`}; papers without one may be left out.
    counted_clicks: Callable[[Sequence[int], datetime], dict[int, int]] = _no_clicks


hooks = Hooks()


def install(**answers: Callable[..., Any]) -> None:
    """Answer hooks by name, from an app's AppConfig.ready(); a name not above is an error."""
    known = {field.name for field in fields(Hooks)}
    if unknown := set(answers) - known:
        raise TypeError(f"ranking has no hook named {', '.join(sorted(unknown))}")
    for name, answer in answers.items():
        setattr(hooks, name, answer)
