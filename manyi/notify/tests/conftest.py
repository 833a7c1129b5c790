"""A fake provider on 127.0.0.1:8114: records each POST and answers as the test says."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PORT = 8114


@dataclass
class FakeProvider:
    url: str
    requests: list[dict] = field(default_factory=list)
    # What to answer next: (status, JSON body); the last one repeats.
    answers: list[tuple[int, dict]] = field(default_factory=lambda: [(200, {"errcode": 0})])
    delay: float = 0.0


@pytest.fixture
def provider():
    state = FakeProvider(url=f"http://127.0.0.1:{PORT}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "json": json.loads(self.rfile.read(length).decode("utf-8")),
                }
            )
            if state.delay:
                threading.Event().wait(state.delay)
            status, body = state.answers[0] if len(state.answers) == 1 else state.answers.pop(0)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args):  # tests print nothing
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
