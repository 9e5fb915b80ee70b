"""HTTP for the network sources: deadlines, bounded bodies, retries honouring Retry-After.

One `PoliteSession` per source run. Every request that leaves this host (first try, each retry
and each redirect hop) first calls the `before_request` hook, which is where the cross-worker
arXiv rate limit waits for its turn. Redirects are followed only to the same scheme and host.
Each attempt has a total deadline: a socket timeout alone never fires on a server that sends
one byte a second, so a watchdog cuts the connection when the deadline passes.
"""

from __future__ import annotations

import socket
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import InvalidHeader
from urllib3.util import Retry

from ranking.sources.base import SourceError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 30.0  # each connect and each read
    deadline: float = 120.0  # the whole attempt: connect, redirects, headers and body
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


class DeadlineError(SourceError):
    """The attempt outran its total deadline (a stalled or trickling server): not retried, the
    run fails at once and the next scheduled run tries again."""


class RedirectError(SourceError):
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
        self.adapter = TrackingAdapter()
        self.mount("http://", self.adapter)
        self.mount("https://", self.adapter)

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
        # Our user agent, whatever a client library asks for (arxiv.py sends its own).
        headers = {
            k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "user-agent"
        }
        kwargs.update(
            stream=True,
            timeout=self.policy.timeout,
            allow_redirects=False,
            headers={**headers, "User-Agent": self.policy.user_agent},
        )
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        with self._deadline(target) as expired:
            try:
                response = self._follow(verb, target, *args, **kwargs)
                with response:
                    if response.status_code in RETRY_STATUSES:
                        retry_after = _retry_after(response.headers.get("Retry-After"))
                        raise RetryableError(
                            f"{_short(target)} answered HTTP {response.status_code}", retry_after
                        )
                    response._content = self._read_bounded(response, target)
                if expired.is_set():  # the cut can look like the body's normal end
                    raise OSError("cut off at the deadline")
            except (RetryableError, requests.RequestException, OSError) as exc:
                if expired.is_set():
                    raise DeadlineError(
                        f"{self.name}: {_short(target)} did not answer in full within "
                        f"{self.policy.deadline:g} s (INGEST_REQUEST_DEADLINE); cut off"
                    ) from exc
                if isinstance(exc, RetryableError):
                    raise
                if isinstance(exc, requests.ConnectionError | requests.Timeout):
                    raise RetryableError(
                        f"cannot reach {_short(target)}: {type(exc).__name__}"
                    ) from exc
                raise SourceError(f"{self.name}: {_short(target)}: {exc}") from exc
        if response.ok and self.validate is not None:
            try:
                self.validate(response._content)
            except ValueError as exc:
                raise RetryableError(f"{_short(target)} sent an unusable body: {exc}") from exc
        return response

    def _follow(self, verb: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        """Send, following redirects by hand: each hop waits its turn and stays on the host."""
        origin = urlsplit(url)
        for _ in range(MAX_REDIRECTS + 1):
            if self.before_request is not None:
                self.before_request()
            response = super().request(verb, url, *args, **kwargs)
            if not response.is_redirect:
                return response
            response.close()
            location = urljoin(url, response.headers.get("Location", ""))
            hop = urlsplit(location)
            if (hop.scheme, hop.netloc) != (origin.scheme, origin.netloc):
                raise RedirectError(
                    f"{self.name}: {_short(url)} redirected to {_short(location)}, another "
                    f"host or scheme than {origin.scheme}://{origin.netloc}; refused"
                )
            if response.status_code in {301, 302, 303} and verb != "HEAD":
                verb = "GET"
            url = location
        raise RedirectError(f"{self.name}: {_short(url)}: over {MAX_REDIRECTS} redirects")

    @contextmanager
    def _deadline(self, url: str) -> Iterator[threading.Event]:
        """Cut this session's connections if the block outlives the policy's deadline."""
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            self.adapter.cut()

        timer = threading.Timer(self.policy.deadline, cut)
        timer.daemon = True
        timer.start()
        try:
            yield expired
        finally:
            timer.cancel()

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


class TrackingAdapter(HTTPAdapter):
    """An adapter that remembers the sockets it opens, so a deadline can cut them: shutting a
    socket down wakes a thread blocked reading it (closing it would not). Sockets, not
    connections: http.client drops a connection's socket once a "Connection: close" response
    starts, while the response goes on reading from it."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        seen = self.sockets

        class Http(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                seen.add(self.sock)

        class Https(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                seen.add(self.sock)

        self.poolmanager.pool_classes_by_scheme = {
            "http": type("HttpPool", (HTTPConnectionPool,), {"ConnectionCls": Http}),
            "https": type("HttpsPool", (HTTPSConnectionPool,), {"ConnectionCls": Https}),
        }

    def cut(self) -> None:
        for sock in list(self.sockets):
            with suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


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
