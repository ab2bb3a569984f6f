"""The gateway's CPU per call, split by thread: where a feature's cost lands.

A gateway process runs its asyncio event loop on the main thread (which every Python
step of a call needs, under the GIL), grpc's own C threads (`event_engine`, ...) and
other Python threads (the span export, executors). `bench.compare --threads` reads each
thread's CPU time from /proc before and after every measured window; issue 20's tracing
work used it to see that recording spans costs the event loop ~30 us a call while the
export thread itself spends 10-20 us a call.
"""

from __future__ import annotations

import contextlib
import statistics
from pathlib import Path

from bench.procs import CLK_TCK

LOOP = "event loop (main thread)"
GRPC_THREADS = ("event_engine", "grpc_global_tim", "default-executo", "resolver-execu", "lifeguard")


def _kind(pid: int, tid: int, comm: str) -> str:
    if tid == pid:
        return LOOP
    if comm.startswith(GRPC_THREADS):
        return "grpc threads"
    return "other threads (span export, executors)"


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Each live thread of `pid`: its kind and its CPU seconds (user + system) so far."""
    found: dict[int, tuple[str, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            tid = int(task.name)
            found[tid] = (_kind(pid, tid, comm), (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return found


def per_call_us(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], calls: int
) -> dict[str, float]:
    """CPU microseconds per call of each kind of thread between two snapshots (a thread
    that started in between counts from zero, one that ended is lost: rare mid-run)."""
    split: dict[str, float] = {}
    for tid, (kind, seconds) in after.items():
        spent = seconds - before.get(tid, (kind, 0.0))[1]
        split[kind] = split.get(kind, 0.0) + spent
    return {kind: 1e6 * seconds / max(calls, 1) for kind, seconds in split.items()}


class ThreadSplit:
    """Per configuration, each kind of thread's CPU per call, round by round (a no-op
    unless `enabled`)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.runs: dict[str, dict[str, list[float]]] = {}

    def snapshot(self, pid: int) -> dict[int, tuple[str, float]]:
        """Before a measured window."""
        return thread_cpu(pid) if self.enabled else {}

    def add(self, name: str, pid: int, before: dict[int, tuple[str, float]], calls: int) -> None:
        """After the window of `name`'s gateway, which served `calls`."""
        if self.enabled:
            for kind, us in per_call_us(before, thread_cpu(pid), calls).items():
                self.runs.setdefault(name, {}).setdefault(kind, []).append(us)

    def report(self) -> None:
        """Medians, and every round's figure."""
        for name, split in self.runs.items():
            for kind, runs in sorted(split.items()):
                each = ", ".join(f"{x:.0f}" for x in runs)
                median = statistics.median(runs)
                print(f"{name}: {kind}: {median:.0f} us CPU per call (runs {each})")
