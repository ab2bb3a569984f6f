"""Summarise a py-spy `--format raw --native --full-filenames` profile of the gateway.

Samples whose innermost frame is a wait (epoll_wait, poll, futex, ...) are idle
and left out; percentages are of busy samples. Three views:

* components: each busy sample is charged to the innermost frame that belongs
  to a known layer (modelgate code, grpc, aiohttp, asyncio, protobuf, orjson,
  the interpreter), and the share of it spent in a system call is shown;
* modelgate functions, inclusive: where the gateway's own call path spends;
* leaves: the hottest innermost frames (self time).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IDLE_LEAVES = (
    "epoll_wait",
    "epoll_pwait",
    "poll",
    "ppoll",
    "select",
    "pselect",
    "futex",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "sem_wait",
    "sem_timedwait",
    "nanosleep",
    "clock_nanosleep",
    "__futex_abstimed_wait_common",
)
SYSCALLS = (
    "sendmsg",
    "send",
    "write",
    "writev",
    "recv",
    "recvmsg",
    "read",
    "getpid",
    "syscall",
    "getrandom",
    "epoll_ctl",
    "accept4",
    "close",
)
INCLUSIVE_PARTS = ("/server/modelgate/", "/opentelemetry/", "/prometheus_client/")
"""Frames listed with inclusive time: the gateway's own code and its telemetry libraries."""
_WRAPPERS = {"unary", "stream", "chat", "stream_chat", "complete", "stream_complete", "embed"}
_WRAPPERS |= {"_unary", "_stream"}


def is_feature_frame(frame: Frame) -> bool:
    """Frames that are the price of telemetry or auth, not the call they wrap."""
    path = frame.file
    if "/opentelemetry/" in path or "/prometheus_client/" in path:
        return True
    if "/server/modelgate/telemetry/" in path:
        return frame.func not in _WRAPPERS
    return "/server/modelgate/api/auth.py" in path


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass
class Frame:
    """One parsed stack frame."""

    func: str
    file: str

    @property
    def label(self) -> str:
        """`module/path.py:function` with the interesting part of the path."""
        return f"{short_path(self.file)}:{self.func}"


def short_path(path: str) -> str:
    """Drop install prefixes: /x/site-packages/aiohttp/client.py -> aiohttp/client.py."""
    for marker in ("/site-packages/", "/server/", "/lib/python3.11/", "/clients/python/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]


def parse_frame(text: str) -> Frame:
    """Parse `func (file:line)`."""
    match = _FRAME.match(text)
    if match is None:
        return Frame(text, "")
    return Frame(match.group("func"), match.group("file"))


_RULES: tuple[tuple[str, str], ...] = (
    ("/server/modelgate/", "modelgate code"),
    ("/modelgate/v1/", "protobuf"),
    ("opentelemetry", "opentelemetry"),
    ("grpc", "grpc (cygrpc core + Python)"),
    ("aiohttp", "aiohttp client"),
    ("llhttp", "aiohttp client"),
    ("multidict", "aiohttp client"),
    ("yarl", "aiohttp client"),
    ("propcache", "aiohttp client"),
    ("asyncio", "asyncio event loop"),
    ("protobuf", "protobuf"),
    ("upb", "protobuf"),
    ("orjson", "orjson"),
    ("libpython", "CPython runtime (GC, refcounts, calls)"),
    (".h", "CPython runtime (GC, refcounts, calls)"),
    (".c", "CPython runtime (GC, refcounts, calls)"),
)


def component(frame: Frame) -> str | None:
    """The layer a frame belongs to, or None for frames that only pass through (libc)."""
    for needle, name in _RULES:
        if needle in frame.file:
            return name
    return None


@dataclass
class Profile:
    """Aggregated counts."""

    total: int = 0
    idle: int = 0
    components: Counter[str] = field(default_factory=Counter)
    syscalls_by_component: Counter[str] = field(default_factory=Counter)
    modelgate_inclusive: Counter[str] = field(default_factory=Counter)
    leaves: Counter[str] = field(default_factory=Counter)
    feature_inclusive: Counter[str] = field(default_factory=Counter)
    feature_total: int = 0

    @property
    def busy(self) -> int:
        """Samples doing work."""
        return self.total - self.idle

    def summary(self, top: int = 12, *, cpu_us_per_req: float = 0.0) -> dict[str, Any]:
        """JSON-ready shares of busy samples.

        With the process's measured CPU per request (same window), each share is
        also given as CPU microseconds per request: busy samples are taken as
        proportional to CPU time, which holds while the machine is not oversubscribed.
        """
        busy = max(self.busy, 1)
        per_request = cpu_us_per_req / busy if cpu_us_per_req else 0.0

        def share(counter: Counter[str], n: int) -> list[dict[str, Any]]:
            out = []
            for name, count in counter.most_common(n):
                item: dict[str, Any] = {"name": name, "pct": round(100 * count / busy, 1)}
                if per_request:
                    item["us_per_req"] = round(count * per_request, 1)
                out.append(item)
            return out

        components = share(self.components, len(self.components))
        for item in components:
            item["syscall_pct"] = round(100 * self.syscalls_by_component[item["name"]] / busy, 1)
        return {
            "samples": self.total,
            "idle_samples": self.idle,
            "busy_samples": self.busy,
            "cpu_us_per_req": round(cpu_us_per_req, 1) if cpu_us_per_req else None,
            "components": components,
            "modelgate_inclusive": share(self.modelgate_inclusive, top),
            "feature_total": share(
                Counter({"telemetry + auth (any frame)": self.feature_total}), 1
            ),
            "feature_inclusive": share(self.feature_inclusive, top),
            "leaves": share(self.leaves, top),
        }


def analyse(raw: Path) -> Profile:
    """Read py-spy's raw (collapsed stack) output."""
    profile = Profile()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [parse_frame(f) for f in stack.split(";")]
        profile.total += count
        leaf = frames[-1]
        if leaf.func in IDLE_LEAVES:
            profile.idle += count
            continue
        profile.leaves[leaf.label] += count
        owner = "other (libc, native)"
        for frame in reversed(frames):
            found = component(frame)
            if found is not None:
                owner = found
                break
        profile.components[owner] += count
        if leaf.func in SYSCALLS:
            profile.syscalls_by_component[owner] += count
        features = {f.label for f in frames if is_feature_frame(f)}
        if features:
            profile.feature_total += count
            for label in features:
                profile.feature_inclusive[label] += count
        seen: set[str] = set()
        for frame in frames:
            if any(part in frame.file for part in INCLUSIVE_PARTS) and frame.label not in seen:
                seen.add(frame.label)
                if not frame.label.startswith("modelgate/cli/"):  # the command line, not serving
                    profile.modelgate_inclusive[frame.label] += count
    return profile
