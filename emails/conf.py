"""Digest settings, each overridable in Django settings under the same name."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def quiet_day_note() -> bool:
    """Send a short "quiet day" note when nothing clears the score floor, instead of silence
    that reads as a broken subscription (at most one per `quiet_note_interval`)."""
    return bool(getattr(settings, "DIGEST_QUIET_DAY_NOTE", True))


def quiet_note_interval() -> timedelta:
    """At most one quiet-day note per this interval; other empty days send nothing."""
    return timedelta(days=int(getattr(settings, "DIGEST_QUIET_NOTE_INTERVAL_DAYS", 7)))


def silent_interest_days() -> int:
    """An interest that has found nothing for this many days is mentioned once in an email."""
    return int(getattr(settings, "DIGEST_SILENT_INTEREST_DAYS", 14))


def link_max_age() -> timedelta:
    """How long a digest's feedback and view links work after its date."""
    return timedelta(days=int(getattr(settings, "DIGEST_LINK_MAX_AGE_DAYS", 180)))


def click_delivery_window() -> timedelta:
    """A click this soon after its digest was sent is recorded but not counted toward trending.

    Mail scanners (Safe Links and the like) open every link as the message arrives, within
    seconds of our server accepting it; a person has to notice, open and read the email first,
    which almost always takes longer than a minute. Losing the rare eager reader's click costs
    one click; letting scanners through counts every paper of every digest."""
    return timedelta(seconds=float(getattr(settings, "TRENDING_CLICK_DELIVERY_SECONDS", 60)))


def click_burst_window() -> timedelta:
    """Clicks on one digest's links this close together are a burst (see click_burst_size)."""
    return timedelta(seconds=float(getattr(settings, "TRENDING_CLICK_BURST_SECONDS", 2)))


def click_burst_size() -> int:
    """This many clicks on one digest within click_burst_window (other links or the same one)
    are a burst: recorded, none of them counted. Three, not two, so a double click on one link
    is no burst; a scanner or a script opens more than three links in two seconds, a reader
    reading the email hardly ever does."""
    return max(2, int(getattr(settings, "TRENDING_CLICK_BURST_SIZE", 3)))


def nudge_interval() -> timedelta:
    """At most one "add some interests" email per this interval."""
    return timedelta(days=int(getattr(settings, "DIGEST_NUDGE_INTERVAL_DAYS", 7)))


def rate_per_second() -> float:
    """Messages per second across every worker (the Redis token bucket)."""
    return float(getattr(settings, "EMAIL_RATE_PER_SECOND", 100.0))


def claim_batch() -> int:
    """Rows a send chunk claims (and tokens it takes) at a time; capped at a second's worth of
    EMAIL_RATE_PER_SECOND so claimed rows never wait on the limiter."""
    return int(getattr(settings, "SEND_CLAIM_BATCH", 50))


def smtp_pipelining() -> bool:
    """Use PIPELINING when the SMTP server offers it (one round trip for MAIL, RCPT and DATA).
    Off for a server that offers it but answers pipelined commands slowly."""
    return bool(getattr(settings, "EMAIL_SMTP_PIPELINING", True))


def chunk_size() -> int:
    """Subscribers per rank/build/send task; one SMTP connection per send chunk."""
    return int(getattr(settings, "DELIVERY_CHUNK_SIZE", 200))


def max_retries() -> int:
    """Transient failures (4xx, timeouts, resets) are retried this many times, then `failed`."""
    return int(getattr(settings, "SEND_MAX_RETRIES", 6))


def retry_backoff(retries: int) -> float:
    """Seconds before a chunk's retry number `retries + 1` after connection trouble (the server
    unreachable, the limiter away), and a refusing domain's pause number `retries + 1`:
    doubling from SEND_RETRY_BACKOFF, capped at SEND_RETRY_MAX_WAIT."""
    first = float(getattr(settings, "SEND_RETRY_BACKOFF", 30.0))
    return float(min(retry_max_wait(), first * 2**retries))


def retry_max_wait() -> float:
    return float(getattr(settings, "SEND_RETRY_MAX_WAIT", 1800.0))


def retry_soon(attempts: int) -> float:
    """Seconds before one message refused with a 4xx is tried again, on a new connection, after
    its `attempts`-th try: doubling from SEND_RETRY_SOON. A refusal of one message says little
    about the next, so it is not worth the chunk's long backoff."""
    first = float(getattr(settings, "SEND_RETRY_SOON", 2.0))
    return float(min(retry_max_wait(), first * 2 ** max(0, attempts - 1)))


def max_late() -> timedelta:
    """A digest never sent this long after its date is given up by the recovery sweep
    (`failed`, "expired") instead of arriving stale."""
    return timedelta(days=int(getattr(settings, "SEND_MAX_LATE_DAYS", 2)))


def lease() -> timedelta:
    """How long a send task holds its digests without renewing; it renews every third of this
    while it works, so a dead worker's digests are free again this long after its death (rule 4
    in ledger.py)."""
    return timedelta(seconds=float(getattr(settings, "SEND_LEASE_SECONDS", 60)))


def queue_timeout() -> timedelta:
    """Work enqueued this long ago and not started is presumed lost with its queue message
    (e.g. Redis restarted empty) and enqueued again; kept above the longest wait in the queue
    of a busy night, so work merely waiting is not enqueued twice."""
    return timedelta(seconds=float(getattr(settings, "SEND_QUEUE_TIMEOUT", 600)))


def sweep_interval() -> float:
    """Seconds between two runs of the recovery sweep (beat's `recover-deliveries`)."""
    return float(getattr(settings, "DELIVERY_SWEEP_SECONDS", 30))


def lookback() -> timedelta:
    """How far back the sweep opens hourly slots that have no run (a lost queue message, beat
    down): 24 hours, so each subscriber gets at most their last missed digest late, never two
    nights at once; never further back than SEND_MAX_LATE_DAYS."""
    return min(timedelta(hours=24), max_late())


def soft_bounce_threshold() -> int:
    """This many soft bounces within SOFT_BOUNCE_WINDOW_DAYS suppress the address."""
    return int(getattr(settings, "SOFT_BOUNCE_THRESHOLD", 3))


def soft_bounce_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "SOFT_BOUNCE_WINDOW_DAYS", 30)))


def webhook_secret() -> str:
    """HMAC key of the generic bounce webhook; empty turns that endpoint off."""
    return str(getattr(settings, "DELIVERY_WEBHOOK_SECRET", ""))


def webhook_max_skew() -> int:
    """A signed webhook older (or newer) than this many seconds is refused as a replay."""
    return int(getattr(settings, "DELIVERY_WEBHOOK_MAX_SKEW", 300))


def webhook_max_bytes() -> int:
    """A generic webhook body over this size is refused (413) before it is read."""
    return int(getattr(settings, "DELIVERY_WEBHOOK_MAX_BYTES", 64 * 1024))
