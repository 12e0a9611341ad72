"""ReplayServer: routes on 127.0.0.1 answering with queued replies (status, headers, body)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. `delay` seconds are slept before answering (for timeouts)."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def file(cls, path: str | Path, content_type: str, status: int = 200) -> Reply:
        """A reply whose body is a recorded file."""
        return cls(status, Path(path).read_bytes(), {"Content-Type": content_type})

    def body_bytes(self) -> bytes:
        """The body as bytes."""
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent: method, path, query parameters and headers."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[RecordedRequest], Reply]


@dataclass
class _Route:
    path: str
    query: dict[str, str]
    replies: list[Reply] | None = None
    handler: Handler | None = None

    def matches(self, request: RecordedRequest) -> bool:
        return request.path == self.path and all(request.query.get(k) == v for k, v in self.query.items())

    def next_reply(self, request: RecordedRequest) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        assert self.replies
        # Queued replies are served in order; the last one repeats.
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class ReplayServer:
    """A threaded HTTP server on a free loopback port; use as a context manager."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add(self, path: str, *replies: Reply, query: dict[str, str] | None = None) -> ReplayServer:
        """Answer GETs on `path` (and matching query parameters) with `replies` in turn."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            self._routes.insert(0, _Route(path, dict(query or {}), replies=list(replies)))
        return self

    def add_handler(self, path: str, handler: Handler, query: dict[str, str] | None = None) -> ReplayServer:
        """Answer requests on `path` by calling `handler(request)`."""
        with self._lock:
            self._routes.insert(0, _Route(path, dict(query or {}), handler=handler))
        return self

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` of the running server."""
        if self._server is None:
            raise RuntimeError("the replay server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        """Start serving in a background thread."""
        replay = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay._answer(self)

            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        request = RecordedRequest(
            method=http.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k: v for k, v in http.headers.items()},
        )
        with self._lock:
            self.requests.append(request)
            route = next((r for r in self._routes if r.matches(request)), None)
            reply = Reply(404, f"no replay route for {parts.path}") if route is None else route.next_reply(request)
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body_bytes()
        try:
            http.send_response(reply.status)
            for key, value in reply.headers.items():
                http.send_header(key, value)
            http.send_header("Content-Length", str(len(body)))
            http.end_headers()
            http.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass
