"""A cheap SMTP sink for the nightly benchmark, in its own process, counting by Message-ID.

aiosmtpd (what the tests use) reads the message data line by line in Python, which on this
2-core machine took CPU from the workers being measured. This sink speaks the few SMTP
commands Django's SMTP backend uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, pipelined
or not: it offers PIPELINING as production relays do), finds the end of the data with one
`bytes.find` per read and keeps only each message's Message-ID, so a duplicate (the same
digest received twice) is still detected. It is a measuring device, not a mail server: no
size limits, no TLS, no AUTH.

    sink = Sink.start()          # child process, listening on 127.0.0.1:sink.port
    ...
    received, distinct = sink.stop()
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import socket
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

END_OF_DATA = b"\r\n.\r\n"
MESSAGE_ID = re.compile(
    rb"^Message-ID:[ \t]*(.*?)\r\n(?![ \t])", re.IGNORECASE | re.MULTILINE | re.S
)
EHLO_REPLY = b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"


class SinkProtocol(asyncio.Protocol):
    def __init__(self, counts: Counter[bytes]) -> None:
        self.counts = counts
        self.buffer = bytearray()
        self.in_data = False
        self.searched = 0  # bytes of the data already searched for the terminator
        self.transport: asyncio.Transport | None = None
        self.replies: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # a TCP server
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer and self.transport is not None:
            if self.in_data and not self._data():
                break
            if not self.in_data and not self._command():
                break
        self._flush()

    def _flush(self) -> None:
        # The replies to pipelined commands go out in one write, as MTAs do: separate small
        # writes would wait on the client's delayed ACK (Nagle), 40 ms each.
        if self.replies and self.transport is not None:
            self.transport.write(b"".join(self.replies))
        self.replies.clear()

    def _data(self) -> bool:
        # The data starts right after "354"; an empty message is just ".\r\n".
        if self.buffer.startswith(b".\r\n"):
            end, body = 0, b""
        else:
            end = self.buffer.find(END_OF_DATA, max(0, self.searched - 4))
            if end < 0:
                self.searched = len(self.buffer)
                return False
            body = bytes(self.buffer[: end + 2])
            end += 2
        del self.buffer[: end + 3]
        self.in_data, self.searched = False, 0
        head = body[: body.find(b"\r\n\r\n") + 2] if b"\r\n\r\n" in body else body
        match = MESSAGE_ID.search(head)
        self._received(match.group(1).strip() if match else b"?")
        self._reply(b"250 OK")
        return True

    def _received(self, message_id: bytes) -> None:
        self.counts[message_id] += 1

    def _command(self) -> bool:
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        verb = line[:4].upper()
        if verb == b"EHLO":
            self._reply(EHLO_REPLY.rstrip(b"\r\n"))
        elif verb == b"DATA":
            self.in_data = True
            self._reply(b"354 End data with <CR><LF>.<CR><LF>")
        elif verb == b"QUIT":
            self._reply(b"221 Bye")
            self._flush()
            assert self.transport is not None
            self.transport.close()
            self.transport = None
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            self._reply(b"250 OK")
        else:
            self._reply(b"502 Command not implemented")
        return True

    def _reply(self, line: bytes) -> None:
        self.replies.append(line + b"\r\n")


def _serve(listener: socket.socket, control: Connection) -> None:
    counts: Counter[bytes] = Counter()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SinkProtocol(counts), sock=listener)
        stop = asyncio.Event()
        loop.add_reader(control.fileno(), stop.set)
        await stop.wait()
        server.close()

    asyncio.run(main())
    control.recv()
    control.send((sum(counts.values()), len(counts)))


class Sink:
    def __init__(self, process: Any, control: Connection, port: int) -> None:
        self.process = process
        self.control = control
        self.port = port

    @classmethod
    def start(cls) -> Sink:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        ours, theirs = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")  # before Django starts: nothing to share
        process = context.Process(target=_serve, args=(listener, theirs), daemon=True)
        process.start()
        port = int(listener.getsockname()[1])
        listener.close()
        return cls(process, ours, port)

    def stop(self) -> tuple[int, int]:
        """(messages received, distinct Message-IDs)."""
        self.control.send("stop")
        received, distinct = self.control.recv()
        self.process.join(timeout=10)
        return int(received), int(distinct)
