"""A bounded soak: mixed unary and streaming calls with random upstream faults.

Every call must end with a response or a well-typed status (lost = 0, hung = 0)
and the process must give back its file descriptors, tasks and memory.
Run the long version with `uv run python -m tests.reliability.soak --calls 10000`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig
from modelgate.v1 import chat_pb2
from tests.fakes import FakeOpenAI, Fault
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, user

TYPED = {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}
FAULTS = [
    Fault.server_error(),
    Fault.rate_limited(retry_after=0),
    Fault.overloaded(),
    Fault.reset(),
    Fault.reset_mid_stream(after_chunks=2),
    Fault.truncate(after_chunks=2),
    Fault.stream_error(after_chunks=1),
    Fault.malformed(after_chunks=1),
]
TEXT = "the quick brown fox jumps over the lazy dog"
HUNG_S = 30.0
"""A call still running after this long counts as hung. Calls take milliseconds idle and
well under a second at full concurrency on a saturated machine, so only a call that
would never end gets near it."""


@dataclass
class Report:
    """Counts of how calls ended, and resource use before and after."""

    outcomes: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    hung: int = 0
    duplicated: int = 0
    fds: tuple[int, int] = (0, 0)
    tasks: tuple[int, int] = (0, 0)
    rss_mib: tuple[float, float] = (0.0, 0.0)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line per fact, for the script and for assertion messages."""
        return (
            f"calls={sum(self.outcomes.values())} outcomes={dict(self.outcomes)} lost={self.lost} "
            f"hung={self.hung} duplicated={self.duplicated} fds={self.fds} tasks={self.tasks} "
            f"rss_mib=({self.rss_mib[0]:.1f}, {self.rss_mib[1]:.1f}) seconds={self.seconds:.1f}"
        )


async def _quiesce(served: Served) -> None:
    """Close pooled upstream connections (reopened on demand) so counts compare like for like."""
    for state in served.gateway.catalog.runtimes.values():
        if state.backend is not None:
            await state.backend.aclose()
    await asyncio.sleep(0.3)
    gc.collect()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def run(calls: int, concurrency: int, fault_rate: float, seed: int = 7) -> Report:
    """Run the soak against an in-process gateway and fake upstream; returns the report."""
    rng = random.Random(seed)
    report = Report()
    async with FakeOpenAI() as fake:
        fake.max_recorded = 100  # the fake shares this process: keep its memory flat too
        runtime = RuntimeConfig(
            kind="openai", base_url=fake.url + "/v1", api_key="sk-soak-key-0123"
        )
        model = ModelConfig(id="gpt-4o", runtime="openai", provider="openai")
        routing = RoutingConfig(
            backoff_initial_seconds=0.001, backoff_max_seconds=0.005, breaker_min_requests=1000
        )
        config = settings(runtimes={"openai": runtime}, models=[model], routing=routing)
        async with serve(config) as served:
            # Warm up at full concurrency so connection pools are at their working size:
            # the baseline then holds the pooled keep-alive sockets a steady state keeps.
            await asyncio.gather(
                *(served.stub.Chat(chat_request("gpt-4o", "warm up")) for _ in range(concurrency))
            )
            await _quiesce(served)
            fds, tasks, rss = _fds(), len(asyncio.all_tasks()), _rss_mib()
            started = time.monotonic()
            queue = iter(range(calls))

            async def one(stream: bool) -> None:
                if rng.random() < fault_rate:
                    fake.script(rng.choice(FAULTS))
                try:
                    if stream:
                        texts = [
                            e.text_delta.text
                            async for e in served.stub.StreamChat(
                                chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user(TEXT)]),
                                timeout=HUNG_S,
                            )
                            if e.HasField("text_delta")
                        ]
                        if "".join(texts) != TEXT:
                            report.duplicated += 1
                    else:
                        response = await served.stub.Chat(
                            chat_request("gpt-4o", TEXT), timeout=HUNG_S
                        )
                        if response.content[0].text != TEXT:
                            report.duplicated += 1
                    report.outcomes["OK"] += 1
                except grpc.aio.AioRpcError as error:
                    report.outcomes[error.code().name] += 1
                    if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                        report.hung += 1
                    elif error.code() not in TYPED:
                        report.lost += 1
                except Exception:  # anything untyped counts as a lost call
                    report.lost += 1

            async def worker() -> None:
                for index in queue:
                    await one(stream=index % 2 == 1)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            report.seconds = time.monotonic() - started
            fake.reset()
            await _quiesce(served)
            report.fds = (fds, _fds())
            report.tasks = (tasks, len(asyncio.all_tasks()))
            report.rss_mib = (rss, _rss_mib())
    return report


def main() -> None:
    """The documented long soak."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    args = parser.parse_args()
    report = asyncio.run(run(args.calls, args.concurrency, args.fault_rate))
    print(report.summary())
    ok = report.lost == 0 and report.hung == 0 and report.duplicated == 0
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
