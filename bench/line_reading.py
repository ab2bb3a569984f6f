"""`uv run python -m bench.line_reading`: what reading one SSE line costs, before and now.

Before issue 15 the gateway read streams with aiohttp's `readline` (`async for line in
response.content`), which also capped lines at 128 KiB; now `sse_events` splits whole
reads itself under `limits.upstream_max_line_bytes`. Both parse the same OpenAI chunks
from an aiohttp StreamReader fed in-process, one event per read (a slow token stream)
and 16 per read (a fast one), with no network, so only the line reading differs.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from aiohttp.streams import StreamReader

from modelgate.config import UPSTREAM_MAX_LINE_BYTES
from modelgate.providers.http import sse_events

EVENT = (
    b"data: "
    + orjson.dumps(
        {
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion.chunk",
            "created": 1741569952,
            "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "delta": {"content": " word"}, "finish_reason": None}],
        }
    )
    + b"\n\n"
)
LINES_PER_EVENT = 2


class _Protocol:
    """The parts of aiohttp's protocol a StreamReader calls."""

    connected = True
    _reading_paused = False

    def pause_reading(self, **_: Any) -> None:
        return None

    def resume_reading(self, **_: Any) -> None:
        return None


class _Response:
    """What `sse_events` reads of a ClientResponse."""

    content_type = "text/event-stream"

    def __init__(self, content: StreamReader) -> None:
        self.content = content


async def readline_events(response: _Response) -> AsyncIterator[tuple[str, bytes]]:
    """The reader before issue 15 (aiohttp's readline), kept here for the comparison."""
    event, data = "", list[bytes]()
    async for raw in response.content:
        line = raw.rstrip(b"\r\n")
        if not line:
            if data:
                yield event, b"\n".join(data)
            event, data = "", []
        elif line.startswith(b"data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(b" ") else value)
        elif line.startswith(b"event:"):
            event = line[6:].strip().decode()


async def _feed(reader: StreamReader, events: int, per_read: int) -> None:
    block = EVENT * per_read
    for _ in range(events // per_read):
        reader.feed_data(block)
        await asyncio.sleep(0)
    reader.feed_eof()


async def _time(
    parse: Callable[[_Response], AsyncIterator[tuple[str, bytes]]], events: int, per_read: int
) -> float:
    reader = StreamReader(_Protocol(), 1 << 16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    feeder = asyncio.create_task(_feed(reader, events, per_read))
    started = time.perf_counter()
    count = 0
    async for _ in parse(_Response(reader)):
        count += 1
    elapsed = time.perf_counter() - started
    await feeder
    assert count == events
    return elapsed


def _sse_now(response: _Response) -> AsyncIterator[tuple[str, bytes]]:
    return sse_events(response, UPSTREAM_MAX_LINE_BYTES)  # type: ignore[arg-type]


async def main(events: int, rounds: int) -> None:
    """Best of `rounds` per reader and read size, in ns per line (feeding included)."""
    print(f"{'reader':34s} {'events/read':>11s} {'ns/line':>9s}")
    for per_read in (1, 16):
        for name, parse in (
            ("aiohttp readline (before)", readline_events),
            ("sse_events", _sse_now),
        ):
            best = min([await _time(parse, events, per_read) for _ in range(rounds)])
            per_line = best / (events * LINES_PER_EVENT) * 1e9
            print(f"{name:34s} {per_read:11d} {per_line:9.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=32_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rounds))
