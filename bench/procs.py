"""Child processes of a benchmark run: start, wait until ready, measure, always stop.

Every child runs in its own session (process group), so stopping it also stops
whatever it spawned (`modelgate serve --workers 2`, LiteLLM's uvicorn); the
group is signalled by its id, never by name. `Processes` is a context manager
whose exit stops everything still running, on errors and Ctrl-C too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def port_open(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_get(url: str, timeout: float = 2.0, headers: dict[str, str] | None = None) -> bytes:
    """GET a loopback URL (no proxies)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=headers or {})
    with opener.open(request, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def _children(pid: int) -> list[int]:
    out: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    with contextlib.suppress(OSError):
        for task in task_dir.iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    return out


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its descendants (live ones)."""
    return sum(cpu_seconds(p) for p in tree(pid))


def rss_kib(pid: int) -> int:
    """Resident set size in KiB (0 when the process is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
    except OSError:
        return 0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot.

    Busy counts user, nice and system time only: the time processes are charged
    for. Interrupt and softirq time (loopback TCP is mostly softirq) is not
    charged to any process, so it is left out of both sides of "ours vs others".
    """
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = values[0] + values[1] + values[2]
    total = sum(values[:8])
    return busy / CLK_TCK, total / CLK_TCK


@dataclass
class CpuWindow:
    """CPU used during a window: by each watched process tree, and by the machine."""

    watched: dict[str, int]
    start_proc: dict[str, float] = field(default_factory=dict)
    start_machine: tuple[float, float] = (0.0, 0.0)
    used: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    wall: float = 0.0
    _t0: float = 0.0

    def __enter__(self) -> CpuWindow:
        self.start_proc = {name: tree_cpu_seconds(pid) for name, pid in self.watched.items()}
        self.start_machine = machine_cpu()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t0
        self.used = {
            name: tree_cpu_seconds(pid) - self.start_proc[name]
            for name, pid in self.watched.items()
        }
        busy, _total = machine_cpu()
        self.machine_busy = busy - self.start_machine[0]


@dataclass
class Proc:
    """One started child process."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    stopped: bool = False

    @property
    def pid(self) -> int:
        """The child's pid (also its process group id)."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the child runs."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The end of the child's combined output."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `ready` until true; raise with the log tail if the child dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({what}):\n{self.log_tail()}")
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.05)
        raise RuntimeError(
            f"{self.name} not ready after {timeout:.0f}s ({what}):\n{self.log_tail()}"
        )

    def first_line(self, timeout: float) -> str:
        """The first line the child printed (fakes print their URL)."""
        holder: list[str] = []

        def has_line() -> bool:
            text = self.log.read_text(errors="replace")
            if "\n" in text:
                holder.append(text.split("\n", 1)[0].strip())
                return True
            return False

        self.wait_for(has_line, timeout, "first line of output")
        return holder[0]

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the child's process group, then SIGKILL it after `grace` seconds (once)."""
        if self.stopped:
            return  # its group id may belong to someone else by now
        self.stopped = True
        if self.popen.poll() is not None:
            self._reap_group()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(5)
        self._reap_group()

    def _reap_group(self) -> None:
        """Kill leftovers of this child's own process group (e.g. orphaned workers)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


class Processes:
    """Starts children and stops all of them on exit, whatever happened."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.procs: list[Proc] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Proc:
        """Start `argv` in a new session with output to `<log_dir>/<name>.log`."""
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**self.env, **(env or {})},
                cwd=cwd or self.log_dir,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, grace: float = 5.0) -> None:
        """Stop one child now."""
        proc.stop(grace)
        if proc in self.procs:
            self.procs.remove(proc)

    @contextlib.contextmanager
    def running(self, proc: Proc) -> Iterator[Proc]:
        """Stop `proc` when the block ends."""
        try:
            yield proc
        finally:
            self.stop(proc)

    def stop_all(self) -> None:
        """Stop every child still running, newest first, deaf to further Ctrl-C/SIGTERM.

        A second signal (a user pressing Ctrl-C twice, or `uv run` forwarding the
        signal the process group already got) must not cut the cleanup short.
        """
        previous = {
            sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for proc in reversed(self.procs):
                with contextlib.suppress(Exception):
                    proc.stop(3.0)
            self.procs.clear()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()
