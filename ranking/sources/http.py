"""HTTP for the network sources: timeouts, bounded bodies, retries honouring Retry-After.

One `PoliteSession` per source run. Every attempt (first try and each retry) first calls the
`before_request` hook, which is where the cross-worker arXiv rate limit waits for its turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from urllib3.exceptions import InvalidHeader
from urllib3.util import Retry

from ranking.sources.base import SourceError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    attempts: int = 4
    backoff: float = 2.0  # seconds before the first retry; doubles each time
    max_wait: float = 300.0  # longest single wait, whatever Retry-After asks for
    user_agent: str = "Paperboy (self-hosted paper digest)"


class RetryableError(Exception):
    """A failure worth trying again: 429/5xx, timeout, dropped connection, bad body."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLargeError(SourceError):
    pass


Validator = Callable[[bytes], None]


class PoliteSession(requests.Session):
    def __init__(
        self,
        name: str,
        policy: HttpPolicy,
        before_request: Callable[[], object] | None = None,
        validate: Validator | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.policy = policy
        self.before_request = before_request
        self.validate = validate
        self.headers["User-Agent"] = policy.user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetryableError),
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, *args, **kwargs)
        except RetryableError as exc:
            raise SourceError(
                f"{self.name}: {exc} (gave up after {self.policy.attempts} attempts)"
            ) from exc

    def _attempt(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if self.before_request is not None:
            self.before_request()
        kwargs.update(stream=True, timeout=self.policy.timeout)
        verb = method.decode() if isinstance(method, bytes) else method
        try:
            response = super().request(verb, url, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableError(f"cannot reach {_short(url)}: {type(exc).__name__}") from exc
        with response:
            if response.status_code in RETRY_STATUSES:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                raise RetryableError(
                    f"{_short(url)} answered HTTP {response.status_code}", retry_after
                )
            response._content = self._read_bounded(response, url)
        if response.ok and self.validate is not None:
            try:
                self.validate(response._content)
            except ValueError as exc:
                raise RetryableError(f"{_short(url)} sent an unusable body: {exc}") from exc
        return response

    def _read_bounded(self, response: requests.Response, url: str | bytes) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLargeError(
                f"{self.name}: {_short(url)} declares {int(declared):,} bytes, over the "
                f"{limit:,}-byte limit (INGEST_MAX_RESPONSE_BYTES); refused"
            )
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                body += chunk
                if len(body) > limit:
                    raise TooLargeError(
                        f"{self.name}: response from {_short(url)} exceeds the {limit:,}-byte "
                        "limit (INGEST_MAX_RESPONSE_BYTES); stopped reading"
                    )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableError(f"{_short(url)} broke off mid-body: {type(exc).__name__}") from exc
        return bytes(body)

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_exponential(multiplier=self.policy.backoff, max=self.policy.max_wait)
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None) or 0.0
        return min(max(asked, backoff(state)), self.policy.max_wait)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        # urllib3's parser reads both forms: delta-seconds and an HTTP date.
        return max(0.0, Retry().parse_retry_after(value))
    except InvalidHeader:
        return None


def _short(url: str | bytes) -> str:
    text = url.decode() if isinstance(url, bytes) else url
    return text if len(text) <= 160 else text[:157] + "..."
