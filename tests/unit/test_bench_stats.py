"""The bench's fetch of a fake's `/bench/stats` is bounded but tolerant: a fake that is
slow (a busy machine) or gone costs the run one statistic, reported missing, never a crash.

The slow fake is slow by construction (it accepts the connection and never answers), so
the test does not depend on the machine's speed.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

import pytest
from typing_extensions import override

from bench import servers
from bench.procs import Proc
from bench.servers import Fake, fetch_stats
from tests.ports import free_port

STATS = {"counts": {"/v1/chat/completions": 7}, "active_streams": 0}


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def flaky_url() -> Iterator[str]:
    """A fake whose first /bench/stats answer is cut (not JSON), the next ones whole."""
    calls: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            calls.append(1)
            body = b'{"counts": ' if len(calls) == 1 else json.dumps(STATS).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        @override
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_fake_that_never_answers_is_a_missing_stat_not_a_crash(
    silent_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fetch_stats(silent_url, timeout=0.2, attempts=2) is None
    assert "/bench/stats unavailable (2 tries): " in capsys.readouterr().err


def test_a_fake_that_is_gone_is_a_missing_stat_not_a_crash() -> None:
    assert fetch_stats(f"http://127.0.0.1:{free_port()}", timeout=0.2, attempts=2) is None


def test_a_cut_answer_is_retried(flaky_url: str) -> None:
    assert fetch_stats(flaky_url, timeout=5, attempts=3) == STATS


def test_a_scenarios_upstream_count_is_none_when_the_fake_is_silent(
    silent_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(servers, "STATS_TIMEOUT_S", 0.2)
    monkeypatch.setattr(servers, "STATS_ATTEMPTS", 2)
    fake = Fake("fast", silent_url, cast(Proc, None))
    assert fake.counts() is None
