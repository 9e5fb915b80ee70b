"""The fault benchmark's SMTP sink: bench/smtpsink.py's protocol in its own process, recording
who got which message when, and misbehaving on request.

Per message it keeps (arrival on the monotonic clock, RCPT TO addresses, Message-ID), so
bench/faults.py can count Message-IDs per recipient. The faults, switched from the parent:

- `refuse_data(every)`: answer `451` instead of `354` to every `every`-th DATA command (0:
  never). A counter, not a coin: exactly one DATA in `every` is refused, whichever worker sends
  it, and a message refused once may be accepted on its retry.
- `down()` / `up()`: stop listening and drop every open connection, as a crashed relay does
  (new connections are refused), then listen again on the same port.

    sink = FaultSink.start()     # child process, 127.0.0.1:sink.port
    sink.count()                 # messages received so far
    sink.received()              # [(monotonic time, (recipients...), message id), ...]
    sink.reset()                 # the next scenario
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from smtpsink import SinkProtocol

Received = tuple[float, tuple[str, ...], str]


@dataclass
class SinkState:
    counts: Counter[bytes] = field(default_factory=Counter)
    received: list[Received] = field(default_factory=list)
    connections: set[RecordingProtocol] = field(default_factory=set)
    refuse_every: int = 0
    data_commands: int = 0

    def refuses_data(self) -> bool:
        self.data_commands += 1
        return self.refuse_every > 0 and self.data_commands % self.refuse_every == 0


class RecordingProtocol(SinkProtocol):
    def __init__(self, state: SinkState) -> None:
        super().__init__(state.counts)
        self.state = state
        self.recipients: list[str] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.state.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self.transport = None

    def _command(self) -> bool:
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        line = bytes(self.buffer[:end])
        verb = line[:4].upper()
        if verb == b"RCPT":
            self.recipients.append(_address(line))
        elif verb in (b"MAIL", b"RSET"):
            self.recipients = []
        elif verb == b"DATA" and self.state.refuses_data():
            del self.buffer[: end + 2]
            self._reply(b"451 4.3.0 Try again later (fault injected)")
            return True
        return super()._command()

    def _received(self, message_id: bytes) -> None:
        super()._received(message_id)
        entry = (time.monotonic(), tuple(self.recipients), message_id.decode(errors="replace"))
        self.state.received.append(entry)
        self.recipients = []


def _address(line: bytes) -> str:
    """The address of `RCPT TO:<a@b>` (lower-cased: RCPT TO is case-insensitive in practice)."""
    text = line.decode(errors="replace")
    start, end = text.find("<"), text.rfind(">")
    return (text[start + 1 : end] if 0 <= start < end else text[8:]).strip().lower()


def _listen(port: int = 0) -> socket.socket:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    return listener


def _serve(listener: socket.socket, control: Connection) -> None:
    state = SinkState()
    port = int(listener.getsockname()[1])

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(lambda: RecordingProtocol(state), sock=listener)]
        stop = asyncio.Event()

        async def handle(command: str, argument: Any) -> Any:
            if command == "count":
                return len(state.received)
            if command == "received":
                return state.received
            if command == "refuse_data":
                state.refuse_every = int(argument)
            elif command == "down" and servers:
                servers.pop().close()
                for connection in list(state.connections):
                    if connection.transport is not None:
                        connection.transport.abort()
            elif command == "up" and not servers:
                create = loop.create_server(lambda: RecordingProtocol(state), sock=_listen(port))
                servers.append(await create)
            elif command == "reset":  # the next scenario: nothing received, no faults
                state.received.clear()
                state.refuse_every = state.data_commands = 0
                await handle("up", None)
            elif command == "stop":
                stop.set()
            return None

        def on_command() -> None:
            command, argument = control.recv()
            task = loop.create_task(handle(command, argument))
            task.add_done_callback(lambda done: control.send(done.result()))

        loop.add_reader(control.fileno(), on_command)
        await stop.wait()
        for server in servers:
            server.close()

    asyncio.run(main())


class FaultSink:
    def __init__(self, process: Any, control: Connection, port: int) -> None:
        self.process = process
        self.control = control
        self.port = port

    @classmethod
    def start(cls) -> FaultSink:
        listener = _listen()
        ours, theirs = multiprocessing.Pipe()
        context = multiprocessing.get_context("fork")  # before Django starts: nothing to share
        process = context.Process(target=_serve, args=(listener, theirs), daemon=True)
        process.start()
        port = int(listener.getsockname()[1])
        listener.close()
        return cls(process, ours, port)

    def _ask(self, command: str, argument: Any = None) -> Any:
        self.control.send((command, argument))
        return self.control.recv()

    def count(self) -> int:
        return int(self._ask("count"))

    def refuse_data(self, every: int) -> None:
        self._ask("refuse_data", every)

    def down(self) -> None:
        self._ask("down")

    def up(self) -> None:
        self._ask("up")

    def received(self) -> list[Received]:
        """Everything received since the last reset, in order of arrival."""
        return list(self._ask("received"))

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        self._ask("stop")
        self.process.join(timeout=10)
