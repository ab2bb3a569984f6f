"""Lean streaming load client, run as its own process; prints one JSON object.

    python -m bench.stream_client load --kind grpc --target 127.0.0.1:50051 \
        --model gpt-4o-stream --streams 100 --duration 5
    python -m bench.stream_client load --kind http --target http://127.0.0.1:8001/v1 ...
    python -m bench.stream_client hold --kind grpc ... --streams 1000 --server-pid PID \
        --fake http://127.0.0.1:8003

`load`: `--streams` virtual users each run streams back to back until
`--duration` has passed (the last one is finished). Per stream: time to the
first text token (TTFT), tokens, and the token rate after the first token.

`hold`: opens `--streams` streams against an upstream that never sends a token,
waits until all are open (gRPC: the gateway's first event received, or the
fake's open-stream count reached), samples the server's RSS, then cancels all.

`grpc` uses grpc.aio with one channel (one HTTP/2 connection) per 100 streams;
`http` speaks SSE to the upstream over HTTP/1.1 with aiohttp (the direct call).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp
import grpc
import orjson

from bench.load import percentile
from bench.procs import rss_kib
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2

STREAMS_PER_CHANNEL = 100
METHOD = "/modelgate.v1.ModelGateway/StreamChat"


def prompt_text(words: int) -> str:
    """A prompt of `words` words; the fake echoes it back one word per token."""
    return " ".join(f"w{i}" for i in range(words))


@dataclass
class StreamStat:
    """One finished stream."""

    ttft: float
    tokens: int
    first_to_last: float
    error: str = ""


class GrpcStreams:
    """StreamChat over grpc.aio, spreading streams over several connections."""

    def __init__(self, target: str, model: str, words: int, streams: int, metadata: Any) -> None:
        count = max(1, math.ceil(streams / STREAMS_PER_CHANNEL))
        self.channels = [
            grpc.aio.insecure_channel(
                target,
                options=[
                    ("grpc.use_local_subchannel_pool", 1),
                    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                    ("bench.channel", i),
                ],
            )
            for i in range(count)
        ]
        self.calls = [
            ch.unary_stream(
                METHOD,
                request_serializer=chat_pb2.StreamChatRequest.SerializeToString,
                response_deserializer=chat_pb2.StreamChatResponse.FromString,
            )
            for ch in self.channels
        ]
        self.request = chat_pb2.StreamChatRequest(
            model=model,
            messages=[
                content_pb2.Message(
                    role=content_pb2.ROLE_USER,
                    parts=[content_pb2.ContentPart(text=prompt_text(words))],
                )
            ],
            generation=generation_pb2.GenerationConfig(max_output_tokens=max(words, 1) * 4),
        )
        self.metadata = metadata

    async def ready(self) -> None:
        """Connect every channel before the clock starts."""
        await asyncio.gather(*(ch.channel_ready() for ch in self.channels))

    async def one(self, index: int, opened: asyncio.Event | None = None) -> StreamStat:
        """One stream: TTFT, token count, first-to-last token time."""
        start = time.perf_counter()
        first = last = 0.0
        tokens = 0
        call = self.calls[index % len(self.calls)](
            self.request, timeout=120, metadata=self.metadata
        )
        try:
            async for event in call:
                if opened is not None:
                    opened.set()
                    opened = None
                if event.HasField("text_delta"):
                    last = time.perf_counter()
                    if not tokens:
                        first = last
                    tokens += 1
        except grpc.aio.AioRpcError as exc:
            return StreamStat(first - start if tokens else math.nan, tokens, 0.0, exc.code().name)
        if not tokens:
            return StreamStat(math.nan, 0, 0.0, "NO_TOKENS")
        return StreamStat(first - start, tokens, last - first)

    async def close(self) -> None:
        """Close every channel."""
        await asyncio.gather(*(ch.close() for ch in self.channels))


class HttpStreams:
    """Chat Completions SSE straight to the upstream (the direct call)."""

    def __init__(self, base_url: str, model: str, words: int) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.body = orjson.dumps(
            {
                "model": model,
                "messages": [{"role": "user", "content": prompt_text(words)}],
                "max_tokens": max(words, 1) * 4,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        )
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            headers={"authorization": "Bearer bench-key", "content-type": "application/json"},
        )

    async def ready(self) -> None:
        """Nothing to prepare: connections are opened on demand."""

    async def one(self, index: int, opened: asyncio.Event | None = None) -> StreamStat:
        """One stream: TTFT, token count, first-to-last token time."""
        start = time.perf_counter()
        first = last = 0.0
        tokens = 0
        try:
            async with self.session.post(self.url, data=self.body) as response:
                if response.status != 200:
                    return StreamStat(math.nan, 0, 0.0, f"HTTP_{response.status}")
                async for line in response.content:
                    if opened is not None:
                        opened.set()
                        opened = None
                    if not line.startswith(b"data: "):
                        continue
                    data = line[6:].strip()
                    if data == b"[DONE]":
                        break
                    for choice in orjson.loads(data).get("choices") or ():
                        if (choice.get("delta") or {}).get("content"):
                            last = time.perf_counter()
                            if not tokens:
                                first = last
                            tokens += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            return StreamStat(math.nan, tokens, 0.0, type(exc).__name__)
        if not tokens:
            return StreamStat(math.nan, 0, 0.0, "NO_TOKENS")
        return StreamStat(first - start, tokens, last - first)

    async def close(self) -> None:
        """Close the session."""
        await self.session.close()


def _client(args: argparse.Namespace) -> GrpcStreams | HttpStreams:
    if args.kind == "grpc":
        metadata = tuple(tuple(m.split("=", 1)) for m in args.metadata)
        return GrpcStreams(args.target, args.model, args.words, args.streams, metadata)
    return HttpStreams(args.target, args.model, args.words)


async def run_load(args: argparse.Namespace) -> dict[str, Any]:
    """Closed-loop streaming load; per-stream statistics summarised."""
    client = _client(args)
    await client.ready()
    stats: list[StreamStat] = []
    begun: list[float] = []
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    stop_at = started + args.duration

    async def user(index: int) -> None:
        while time.perf_counter() < stop_at:
            begun.append(time.perf_counter())
            stats.append(await client.one(index))

    await asyncio.gather(*(user(i) for i in range(args.streams)))
    wall = time.perf_counter() - started
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    await client.close()
    good = [s for s in stats if not s.error]
    ttfts = sorted(s.ttft * 1000 for s in good)
    rates = sorted(
        (s.tokens - 1) / s.first_to_last for s in good if s.tokens > 1 and s.first_to_last
    )
    tokens = sum(s.tokens for s in stats)
    extra: dict[str, Any] = {}
    if args.times:
        # Wall-clock (epoch) start and first-token times, to line up with packet captures.
        offset = time.time() - time.perf_counter()
        extra["times"] = [
            [b + offset, b + s.ttft + offset]
            for b, s in zip(begun, stats, strict=True)
            if not s.error
        ]
    return extra | {
        "streams": args.streams,
        "completed": len(good),
        "errors": dict(Counter(s.error for s in stats if s.error)),
        "ttft_p50_ms": percentile(ttfts, 50),
        "ttft_p90_ms": percentile(ttfts, 90),
        "ttft_p99_ms": percentile(ttfts, 99),
        "ttft_max_ms": max(ttfts) if ttfts else math.nan,
        "tokens_per_s_per_stream_p50": percentile(rates, 50),
        "tokens_per_s_per_stream_p10": percentile(rates, 10),
        "tokens_total": tokens,
        "tokens_per_s_total": tokens / wall,
        "wall_s": wall,
        "client_cpu_s": (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime),
    }


async def _fake_open(session: aiohttp.ClientSession, fake: str) -> int | None:
    """Streams open at the fake; None when it did not answer within 10 s (a busy machine):
    the caller keeps polling until its deadline instead of crashing."""
    try:
        async with session.get(
            fake.rstrip("/") + "/bench/stats", timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            stats = await response.json()
        return int(stats["active_streams"])
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError):
        return None


async def _until_open(
    events: list[asyncio.Event], probe: aiohttp.ClientSession, fake: str, deadline: float
) -> tuple[int, int]:
    """Wait until every stream is open: its first event arrived, or the upstream holds it.

    Returns (streams with a first event, streams open at the upstream) once the
    upstream count has been stable for 0.5 s, or at the deadline.
    """
    opened = upstream = 0
    stable_since, last_upstream = time.perf_counter(), -1
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        opened = sum(e.is_set() for e in events)
        answered = await _fake_open(probe, fake)
        if answered is None:
            continue  # unknown this round; the deadline still bounds the wait
        upstream = answered
        if upstream != last_upstream:
            stable_since, last_upstream = time.perf_counter(), upstream
        all_open = opened == len(events) or upstream >= len(events)
        if all_open and time.perf_counter() - stable_since > 0.5:
            break
    return opened, upstream


async def run_hold(args: argparse.Namespace) -> dict[str, Any]:
    """Open N streams that get no token, sample the server's RSS, cancel them all."""
    client = _client(args)
    await client.ready()
    probe = aiohttp.ClientSession()
    # Warm up the path (lazy imports, pools) with a few streams, then take the baseline.
    warm_events = [asyncio.Event() for _ in range(min(20, args.streams))]
    warm = [asyncio.create_task(client.one(i, e)) for i, e in enumerate(warm_events)]
    await _until_open(warm_events, probe, args.fake, time.perf_counter() + 30)
    for task in warm:
        task.cancel()
    await asyncio.gather(*warm, return_exceptions=True)
    await asyncio.sleep(0.5)
    base = max(rss_kib(args.server_pid) for _ in range(3))
    events = [asyncio.Event() for _ in range(args.streams)]
    started = time.perf_counter()
    tasks = [asyncio.create_task(client.one(i, e)) for i, e in enumerate(events)]
    opened, upstream = await _until_open(events, probe, args.fake, started + args.duration)
    samples = []
    for _ in range(5):
        samples.append(rss_kib(args.server_pid))
        await asyncio.sleep(0.05)
    held = max(samples)
    open_s = time.perf_counter() - started
    failed = sum(t.done() for t in tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await client.close()
    await probe.close()
    delta = held - base
    return {
        "streams": args.streams,
        "opened_at_client": opened,
        "open_upstream": upstream,
        "ended_early": failed,
        "rss_base_kib": base,
        "rss_held_kib": held,
        "kib_per_stream": delta / args.streams,
        "seconds_to_open": open_s,
    }


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.stream_client", description=__doc__)
    parser.add_argument("mode", choices=("load", "hold"))
    parser.add_argument("--kind", choices=("grpc", "http"), required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--model", default="gpt-4o")
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--words", type=int, default=16, help="prompt words = tokens per stream")
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--server-pid", type=int, default=0)
    parser.add_argument(
        "--times", action="store_true", help="load: also list each stream's start/first token"
    )
    parser.add_argument("--fake", default="", help="fake upstream root URL (hold mode)")
    args = parser.parse_args(argv)
    runner = run_load if args.mode == "load" else run_hold
    result = asyncio.run(runner(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
