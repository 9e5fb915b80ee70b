"""Celery tasks: unpack primitives, call a service. Each is safe to run twice."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from subscriptions.services import signup

# Mail relays fail transiently (smtplib errors are OSErrors): retry with backoff rather than
# lose a confirmation.
_RETRY_ON = (OSError,)


@shared_task(
    base=DjangoTask, autoretry_for=_RETRY_ON, retry_backoff=30, retry_kwargs={"max_retries": 5}
)
def send_confirmation_email(subscriber_id: int, requested_at: str) -> bool:
    """Send one confirmation email per request.

    Idempotent: services.signup.send_confirmation claims the request with a conditional UPDATE
    of `confirmation_sent_at`, so a second run for the same request sends nothing.
    """
    return signup.send_confirmation(subscriber_id, datetime.fromisoformat(requested_at))


@shared_task(
    base=DjangoTask, autoretry_for=_RETRY_ON, retry_backoff=30, retry_kwargs={"max_retries": 5}
)
def send_manage_link_email(subscriber_id: int, requested_at: str) -> bool:
    """Send an active subscriber their preference-centre link; idempotent like the above
    (claims `manage_link_sent_at`)."""
    return signup.send_manage_link(subscriber_id, datetime.fromisoformat(requested_at))


@shared_task(base=DjangoTask)
def purge_unconfirmed_subscribers() -> int:
    """Delete expired, never-confirmed sign-ups. Idempotent: a second run finds none left."""
    return signup.purge_unconfirmed()
