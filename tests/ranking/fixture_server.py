"""A real HTTP server on 127.0.0.1, in a thread, answering from recorded responses.

Tests give it a `route(path, query) -> Reply` function; it records every request it gets.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).resolve().parents[2] / "ranking" / "fixtures" / "recorded"


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"


@dataclass
class Seen:
    at: float
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[str, dict[str, str]], Reply]


class FixtureServer:
    def __init__(self, route: Route) -> None:
        self.route = route
        self.seen: list[Seen] = []
        self.release = threading.Event()  # routes that stall wait on this
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.seen.append(Seen(time.monotonic(), parts.path, query, headers))
                reply = server.route(parts.path, query)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                try:
                    if isinstance(reply.body, bytes):
                        if "Content-Length" not in reply.headers:
                            self.send_header("Content-Length", str(len(reply.body)))
                        self.end_headers()
                        self.wfile.write(reply.body)
                    else:  # streamed, length unknown: the connection close ends it
                        self.send_header("Connection", "close")
                        self.end_headers()
                        for chunk in reply.body:
                            self.wfile.write(chunk)
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def recorded(relative: str) -> bytes:
    return (RECORDED / relative).read_bytes()


def recorded_api(name: str) -> Reply:
    """A recorded arXiv API response (the recorder stored the body decoded as latin-1)."""
    data = json.loads(recorded(f"arxiv-api/{name}.json"))
    return Reply(status=data["status_code"], body=data["body"].encode("latin-1"))


def oai_pages(stall_on: int | None = None, server: FixtureServer | None = None) -> Route:
    """The recorded 3-page OAI-PMH harvest, paged by resumption token like arXiv does."""
    pages = {"": 0, "6511260|1001": 1, "6511260|2001": 2}

    def route(path: str, query: dict[str, str]) -> Reply:
        token = query.get("resumptionToken", "")
        if token not in pages:
            return Reply(
                body=oai_error(
                    "badResumptionToken", "The value of the argument is invalid or expired."
                )
            )
        page = pages[token]
        if stall_on == page and server is not None:
            server.release.wait(60)
        return Reply(body=recorded(f"arxiv-oai/ListRecords_data_{page}.xml"))

    return route


def oai_error(code: str, text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2023-03-07T18:54:05Z</responseDate>"
        '<request verb="ListRecords">http://export.arxiv.org/oai2</request>'
        f'<error code="{code}">{text}</error></OAI-PMH>'
    ).encode()
