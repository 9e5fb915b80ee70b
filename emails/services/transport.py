"""Hand one message at a time to Django's email backend, telling apart what the server said.

For Django's SMTP backend the SMTP dialogue is driven step by step on the backend's own
connection (opened once, reused for a whole chunk), because only then is it known whether the
message data ever reached the server: anything that fails before the final "." was written
certainly sent nothing; no reply after it is the one ambiguous outcome. When the server offers
PIPELINING (RFC 2920; every mainstream MTA and ESP relay does) MAIL FROM, RCPT TO and DATA go
in one round trip and the hand-off is committed between the 354 and the data; otherwise one
command at a time, the hand-off before DATA. Other backends
(django-anymail ESPs, locmem in tests) are called through `send_messages`: an API error with an
HTTP status means "not accepted", any other exception after the hand-off is ambiguous.
"""

from __future__ import annotations

import enum
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from smtplib import quoteaddr
from typing import cast

from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from emails import conf

LEADING_DOT = re.compile(rb"(?m)^\.")


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # certainly not sent; transient (4xx, no connection, reset before data)
    REJECTED = "rejected"  # certainly not sent; permanent (5xx)
    UNCERTAIN = "uncertain"  # handed off, no reply: may have been sent
    ABORTED = "aborted"  # the ledger row was no longer ours at hand-off; nothing sent


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    detail: str = ""
    # Whether the refusal was about the recipient (RCPT TO): only that suppresses the address.
    recipient_refused: bool = False
    # The connection is unusable (421, reset, gone): stop the chunk and retry the rest later.
    connection_lost: bool = False


class Transport:
    """One backend connection, reused for every message of a chunk."""

    def __init__(self) -> None:
        self.backend = get_connection()
        self.is_smtp = isinstance(self.backend, SMTPBackend)
        self.pipelining = conf.smtp_pipelining()
        self.opened = 0

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self._forget()

    def send(self, message: EmailMessage, hand_off: Callable[[], bool]) -> Delivery:
        if self.is_smtp:
            return self._send_smtp(message, hand_off)
        return self._send_other(message, hand_off)

    def _send_other(self, message: EmailMessage, hand_off: Callable[[], bool]) -> Delivery:
        if not hand_off():
            return Delivery(Outcome.ABORTED, "no longer claimed")
        try:
            count = self.backend.send_messages([message])
        except Exception as exc:
            return _classify_api_error(exc)
        if count:
            return Delivery(Outcome.SENT)
        return Delivery(Outcome.UNCERTAIN, "backend reported 0 messages sent")

    def _send_smtp(self, message: EmailMessage, hand_off: Callable[[], bool]) -> Delivery:
        assert isinstance(self.backend, SMTPBackend)  # noqa: S101 - narrows for mypy
        encoding = message.encoding or "utf-8"
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
        payload = _dot_stuffed(message.message().as_bytes(linesep="\r\n"))  # type: ignore[call-arg]
        try:
            conn = self._connection()
            if len(recipients) == 1 and self.pipelining and conn.has_extn("pipelining"):
                refused = self._pipelined_envelope(conn, sender, recipients[0], hand_off)
            else:
                refused = self._envelope(conn, sender, recipients, hand_off)
            if refused is not None:
                return refused
            conn.send(payload)
        except (smtplib.SMTPException, OSError) as exc:
            self._forget()
            return Delivery(Outcome.RETRY, f"before data: {exc!r}", connection_lost=True)
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self._forget()
            return Delivery(
                Outcome.UNCERTAIN, f"no reply to the data: {exc!r}", connection_lost=True
            )
        if code == 250:
            return Delivery(Outcome.SENT)
        return self._refused(code, reply, "end of data")

    def _envelope(
        self, conn: smtplib.SMTP, sender: str, recipients: list[str], hand_off: Callable[[], bool]
    ) -> Delivery | None:
        """MAIL, RCPT, hand-off, DATA, one at a time; None when the data may follow."""
        code, reply = conn.mail(sender)
        if code != 250:
            return self._refused(code, reply, "MAIL FROM")
        for recipient in recipients:
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(code, reply, "RCPT TO", recipient_refused=True)
        if not hand_off():
            self._reset()
            return Delivery(Outcome.ABORTED, "no longer claimed")
        code, reply = conn.docmd("DATA")
        if code != 354:
            return self._refused(code, reply, "DATA")
        return None

    def _pipelined_envelope(
        self, conn: smtplib.SMTP, sender: str, recipient: str, hand_off: Callable[[], bool]
    ) -> Delivery | None:
        """MAIL, RCPT and DATA in one round trip, then the hand-off; None when the data may
        follow. Every reply is read before deciding, so the connection stays in step."""
        commands = f"mail FROM:{quoteaddr(sender)}\r\nrcpt TO:{quoteaddr(recipient)}\r\ndata\r\n"
        conn.send(commands)
        replies: list[tuple[int, bytes]] = []
        lost: Exception | None = None
        try:
            for _ in range(3):
                replies.append(conn.getreply())
        except (smtplib.SMTPException, OSError) as exc:
            lost = exc
        steps = (("MAIL FROM", (250,)), ("RCPT TO", (250, 251)), ("DATA", (354,)))
        for (step, accepted), (code, reply) in zip(steps, replies, strict=False):
            if code not in accepted:
                if len(replies) == 3 and replies[2][0] == 354:
                    self._forget()  # inside the data phase: only closing ends it unsent
                return self._refused(code, reply, step, recipient_refused=step == "RCPT TO")
        if lost is not None:
            raise lost  # no refusal to report: a lost connection, before any data
        try:
            owned = hand_off()
        except BaseException:
            self._forget()  # inside the data phase: never let anything end it with a "."
            raise
        if not owned:
            self._forget()
            return Delivery(Outcome.ABORTED, "no longer claimed")
        return None

    def _connection(self) -> smtplib.SMTP:
        backend = cast(SMTPBackend, self.backend)
        if backend.connection is None:
            backend.open()
            self.opened += 1
        conn = backend.connection
        assert conn is not None  # noqa: S101 - open() raises otherwise
        conn.ehlo_or_helo_if_needed()
        return conn

    def _refused(
        self, code: int, reply: bytes, step: str, *, recipient_refused: bool = False
    ) -> Delivery:
        detail = f"{step}: {code} {reply.decode(errors='replace')}"
        if code == 421 or code < 400:
            self._forget()
            return Delivery(Outcome.RETRY, detail, connection_lost=True)
        self._reset()
        if code < 500:
            return Delivery(Outcome.RETRY, detail)
        return Delivery(Outcome.REJECTED, detail, recipient_refused=recipient_refused)

    def _reset(self) -> None:
        conn = cast(SMTPBackend, self.backend).connection if self.is_smtp else None
        if conn is None:
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._forget()

    def _forget(self) -> None:
        """Drop a broken connection without talking to the server again."""
        conn = getattr(self.backend, "connection", None)
        if conn is not None:
            try:
                conn.close()
            finally:
                cast(SMTPBackend, self.backend).connection = None


def _dot_stuffed(data: bytes) -> bytes:
    data = LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _classify_api_error(exc: Exception) -> Delivery:
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if name == "AnymailRecipientsRefused":
        return Delivery(Outcome.REJECTED, repr(exc), recipient_refused=True)
    if isinstance(status, int):
        kind = Outcome.REJECTED if 400 <= status < 500 and status != 429 else Outcome.RETRY
        return Delivery(kind, f"HTTP {status}: {exc!r}")
    return Delivery(Outcome.UNCERTAIN, repr(exc), connection_lost=True)
