"""What subscriptions asks of the apps above it, without importing them.

subscriptions is the bottom layer (docs/architecture.md): it imports neither ranking nor emails.
Yet its pages show what those know (the trending list under the sign-up form and the paper of
"subscribe to papers like this", the interest check on both forms: ranking; whether mail to the
address is suppressed: emails), and its confirmation and manage-link emails are built by emails'
one entry point and never sent to a suppressed address. Each of those questions is a hook here
whose default answers "nothing"; the app that knows the answer installs its own in its
AppConfig.ready() (ranking/apps.py, emails/apps.py). What subscriptions announces goes up the
other way, as signals (signals.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.http import HttpRequest


def _no_list(request: HttpRequest) -> dict[str, Any]:
    return {}


def _no_paper(canonical_id: str) -> Any:
    return None


def _no_reports(**interests: list[Any]) -> list[Any]:
    return []


def _no_suppression(email: str) -> Any:
    return None


def _no_email_builder(*args: Any, **kwargs: Any) -> EmailMessage:
    raise ImproperlyConfigured("Nothing builds emails: the 'emails' app is not installed.")


@dataclass
class Hooks:
    # ranking/apps.py: the trending list's template context (ranking/_paper_list.html).
    trending_context: Callable[[HttpRequest], dict[str, Any]] = _no_list
    # ranking/apps.py: the catalogue's paper with this canonical id, or None.
    find_paper: Callable[[str], Any] = _no_paper
    # ranking/apps.py: check_interests(keywords=, topics=, categories=, authors=, seed_papers=)
    # -> the reports subscriptions/_interest_check.html shows.
    check_interests: Callable[..., list[Any]] = _no_reports
    # emails/apps.py: the Suppression row that stops mail to this address, or None.
    suppression_of: Callable[[str], Any] = _no_suppression
    # emails/apps.py: build_email(template_prefix, to, context, headers) -> the message.
    build_email: Callable[..., EmailMessage] = _no_email_builder


hooks = Hooks()


def install(**answers: Callable[..., Any]) -> None:
    """Answer hooks by name, from an app's AppConfig.ready(); a name not above is an error."""
    known = {field.name for field in fields(Hooks)}
    if unknown := set(answers) - known:
        raise TypeError(f"subscriptions has no hook named {', '.join(sorted(unknown))}")
    for name, answer in answers.items():
        setattr(hooks, name, answer)
