"""Fixtures of the state suite: a real redis-server, and every backend behind one fixture.

`make_state` is parametrized over memory, SQLite and Redis, so each test that
uses it runs once per backend and the three implementations meet one
specification.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from modelgate.state import State, build_state
from tests.ports import free_port

MakeState = Callable[..., Awaitable[State]]
"""`await make_state(**build_state_kwargs)`: a new State on this test's backend."""

REDIS_MISSING = (
    "redis-server is not installed (apt-get install -y redis-server); "
    "tests marked `redis` need a real server"
)
_START_TIMEOUT_S = 10.0


def _redis_missing() -> None:
    """Fail in CI (a missing server must not pass silently), skip on a dev machine."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {REDIS_MISSING}", pytrace=False)
    pytest.skip(REDIS_MISSING)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Applies to every `redis`-marked test, whether or not it asks for the server."""
    if item.get_closest_marker("redis") is not None and shutil.which("redis-server") is None:
        _redis_missing()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _start_redis(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start on a free loopback port, retried when another process takes the port first."""
    log = workdir / "redis.log"
    for _ in range(3):
        port = free_port()
        args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly"]
        args += ["no", "--dir", str(workdir), "--logfile", str(log)]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + _START_TIMEOUT_S
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5)
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    if client.ping():
                        return proc, port
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        _stop(proc)
    output = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"redis-server did not answer PING on a loopback port:\n{output}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for the session; stopped by its PID at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        _redis_missing()
    assert binary is not None
    proc, port = _start_redis(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        _stop(proc)


@dataclass
class OwnRedis:
    """A redis-server for one test alone, which the test may freeze, thaw or stop."""

    process: subprocess.Popen[bytes]
    url: str

    def freeze(self) -> None:
        """SIGSTOP: sockets stay open and the kernel still accepts connections, but nothing
        is ever answered: a hung Redis by construction, however fast the machine."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: it answers again (queued commands included)."""
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Terminate it: a Redis that is down (connections refused)."""
        if self.process.poll() is None:
            self.thaw()
            _stop(self.process)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A dedicated redis-server on a loopback port, thawed and stopped in teardown."""
    binary = shutil.which("redis-server")
    if binary is None:
        _redis_missing()
    assert binary is not None
    proc, port = _start_redis(binary, tmp_path)
    own = OwnRedis(proc, f"redis://127.0.0.1:{port}/0")
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture
def fresh_redis_url(redis_url: str) -> str:
    """Database 1 of the session server, emptied with FLUSHDB for this test."""
    url = f"{redis_url}/1"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of one backend, fresh for this test."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'state.db'}"
    url: str = request.getfixturevalue("fresh_redis_url")
    return url


@pytest.fixture
async def make_state(state_url: str) -> AsyncIterator[MakeState]:
    """Builds States on this test's backend and closes them all afterwards."""
    opened: list[State] = []

    async def make(**kwargs: Any) -> State:
        state = await build_state(state_url, **kwargs)
        opened.append(state)
        return state

    yield make
    for state in opened:
        await state.aclose()


@pytest.fixture
async def state(make_state: MakeState) -> State:
    """One State with the default settings on this test's backend."""
    return await make_state()
