"""A real SMTP server for tests (aiosmtpd), with the received messages parsed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Recorder:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, smtp: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if not self.server.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.server.down:
            return "421 4.3.2 Service not available"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.server.rcpts += 1
        if self.server.on_rcpt is not None:
            self.server.on_rcpt(self.server.rcpts)
        if address in self.server.reject_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.down:
            return "421 4.3.2 Service not available"
        if self.server.reply_for_next:
            return self.server.reply_for_next.pop(0)
        self.server.received += 1
        if self.server.fail_every and self.server.received % self.server.fail_every == 0:
            return self.server.fail_replies[self.server.received % len(self.server.fail_replies)]
        self.server.sessions.add(id(session))
        if self.server.on_data is not None:
            self.server.on_data(self.server.received)
        raw = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        self.server.messages.append(message)
        self.server.raw.append(raw)
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SMTPServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # the bytes of each message, as received (same order)
        self.envelopes: list[tuple[str | None, list[str]]] = []
        # Replies to give instead of accepting, one per message: e.g. "451 try again later".
        self.reply_for_next: list[str] = []
        # Refuse every fail_every-th message with one of fail_replies (e.g. 5 -> 20%).
        self.fail_every = 0
        self.fail_replies = ["451 4.3.0 try again later", "421 4.7.0 too busy, closing"]
        self.received = 0
        self.reject_rcpt: set[str] = set()  # RCPT TO these gets "550 no such user"
        # Fault hooks, called in the server's thread with the running count: on the n-th RCPT
        # TO, and on the n-th message accepted (after it is recorded, before the 250 reply).
        self.rcpts = 0
        self.on_rcpt: Callable[[int], None] | None = None
        self.on_data: Callable[[int], None] | None = None
        self.sessions: set[int] = set()  # connections that delivered at least one message
        # While down, MAIL and DATA get 421 and, after `go_away`'s grace, the port is closed.
        self.down = False
        # Offer PIPELINING (RFC 2920), as production relays do; False: one command at a time.
        self.pipelining = True
        self._controller = Controller(_Recorder(self), hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        if self._controller._thread is not None:  # stopping twice is fine
            self._controller.stop()

    def go_away(self, seconds: float) -> threading.Thread:
        """Go away for `seconds` (in a thread): refuse at once, close the port, come back."""

        def outage() -> None:
            self.down = True
            time.sleep(0.3)  # replies already decided get written before the port closes
            self._controller.stop()
            time.sleep(seconds)
            self._controller = Controller(_Recorder(self), hostname=self.host, port=self.port)
            self._controller.start()
            self.down = False

        thread = threading.Thread(target=outage, daemon=True)
        thread.start()
        return thread


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
