"""The tests' fake OpenAI upstream, run standalone for benchmarks.

`python -m bench.fake [--provider openai|anthropic|ollama] --port 0 --latency-ms 0
--ttft-ms 0 --tokens-per-s 0` takes the same timing flags as `python -m
tests.fakes` and serves the same wire format (it *is* the tests' fake for that
provider), with three bench-only
changes that keep the upstream from drifting during a run:

* requests are counted, not recorded: the test fake keeps every request (body,
  raw bytes, headers) for assertions, which grows without bound under load and
  makes the garbage collector slower the longer a run lasts;
* `GET /bench/stats` returns the per-path request counts and open streams, so
  the harness can check that every gRPC call it counted really went upstream;
  `GET /bench/last?path=/v1/chat/completions` returns the last raw body sent to
  that path (the harness replays the gateway's exact body for direct calls);
* the listen backlog is 4096 instead of aiohttp's 128, so a thousand clients
  connecting at once are not delayed by SYN retransmits.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections import Counter
from typing import Any, SupportsIndex

from aiohttp import web
from typing_extensions import override

from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.base import FakeServer
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.openai_fake import FakeOpenAI
from tests.fakes.scenario import RecordedRequest

BACKLOG = 4096


class _Tally(list[RecordedRequest]):
    """A stand-in for the fake's request log: counts per path, keeps the last raw body."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.last_raw: dict[str, bytes] = {}

    @override
    def append(self, item: RecordedRequest, /) -> None:
        self.counts[item.path] += 1
        self.last_raw[item.path] = item.raw

    @override
    def clear(self) -> None:
        self.counts.clear()
        self.last_raw.clear()

    @override
    def __len__(self) -> int:
        return 0

    @override
    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        raise IndexError("bench fake does not record requests")


class BenchFake(FakeServer):
    """A test fake with counters instead of recordings and a larger listen backlog.

    Mixed in before a provider fake (`BenchOpenAI`, ...), so the wire format is
    the provider fake's own.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tally = _Tally()
        self.requests = self.tally

    @override
    def _routes(self) -> list[web.RouteDef]:
        return [
            *super()._routes(),
            web.get("/bench/stats", self._stats),
            web.get("/bench/last", self._last),
        ]

    async def _stats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "counts": dict(self.tally.counts),
                "active_streams": self.active_streams,
                "streams_started": self.streams_started,
            }
        )

    async def _last(self, request: web.Request) -> web.StreamResponse:
        raw = self.tally.last_raw.get(request.query.get("path", ""))
        if raw is None:
            return web.Response(status=404)
        return web.Response(body=raw, content_type="application/json")

    @override
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._stopping = False
        runner = web.AppRunner(
            self.app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port, backlog=BACKLOG)
        await site.start()
        self._runner = runner
        self._url = f"http://{host}:{runner.addresses[0][1]}"
        return self._url


class BenchOpenAI(BenchFake, FakeOpenAI):
    """The OpenAI fake, benchmark flavour."""


class BenchAnthropic(BenchFake, FakeAnthropic):
    """The Anthropic fake, benchmark flavour."""


class BenchOllama(BenchFake, FakeOllama):
    """The Ollama fake, benchmark flavour (serves any model name)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict_models=False, **kwargs)


FAKES: dict[str, type[BenchFake]] = {
    "openai": BenchOpenAI,
    "anthropic": BenchAnthropic,
    "ollama": BenchOllama,
}


async def _serve(args: argparse.Namespace) -> None:
    fake = FAKES[args.provider](
        latency_ms=args.latency_ms,
        ttft_ms=args.ttft_ms,
        tokens_per_s=args.tokens_per_s,
        embedding_dim=args.embedding_dim,
    )
    url = await fake.start(args.host, args.port)
    print(url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    """CLI entry point (flags as in `python -m tests.fakes openai`)."""
    parser = argparse.ArgumentParser(prog="python -m bench.fake", description=__doc__)
    parser.add_argument("--provider", choices=sorted(FAKES), default="openai")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    parser.add_argument("--tokens-per-s", type=float, default=0.0)
    parser.add_argument("--embedding-dim", type=int, default=8)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
