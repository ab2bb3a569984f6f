"""Streams are split into lines by the gateway itself: however the network cuts a body into
reads, the events are the same, and a line over the cap is refused whatever the cut."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.streams import StreamReader
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from modelgate.providers.http import ProtocolFault, ndjson_lines, sse_events

CAP = 64


class _Protocol:
    """What a StreamReader calls on aiohttp's protocol."""

    connected = True
    _reading_paused = False

    def pause_reading(self, **_: Any) -> None:
        return None

    def resume_reading(self, **_: Any) -> None:
        return None


class _Response:
    """The parts of a ClientResponse the line readers use."""

    def __init__(self, reads: list[bytes], content_type: str) -> None:
        self.content = StreamReader(_Protocol(), 1 << 16, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
        for data in reads:
            self.content.feed_data(data)
        self.content.feed_eof()
        self.content_type = content_type


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(body)) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True) if b > a]


async def collect(
    read: Callable[[Any, int], AsyncIterator[Any]], reads: list[bytes], kind: str
) -> list[Any]:
    return [item async for item in read(_Response(reads, kind), CAP)]


async def outcome(
    read: Callable[[Any, int], AsyncIterator[Any]], reads: list[bytes], kind: str
) -> list[Any] | str:
    """What was read, or the protocol fault that ended the reading."""
    try:
        return await collect(read, reads, kind)
    except ProtocolFault as fault:
        return f"fault: {fault}"


lines = st.lists(
    st.sampled_from(
        [b'data: {"a":1}', b"event: x", b"data: [DONE]", b": ping", b"id: 3", b"", b"data:\r"]
    ),
    max_size=12,
)
cuts = st.lists(st.integers(0, 400), max_size=8)


@hsettings(max_examples=150, deadline=None)
@given(lines=lines, cuts=cuts)
async def test_sse_events_do_not_depend_on_where_reads_end(
    lines: list[bytes], cuts: list[int]
) -> None:
    body = b"\n".join(lines) + b"\n\n"
    # Many data lines make one event that may pass the cap: then every split must refuse it too.
    whole = await outcome(sse_events, [body], "text/event-stream")
    assert await outcome(sse_events, split(body, cuts), "text/event-stream") == whole


@hsettings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.binary(max_size=CAP).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    cuts=cuts,
)
async def test_ndjson_lines_do_not_depend_on_where_reads_end(
    values: list[bytes], cuts: list[int]
) -> None:
    body = b"\n".join(values)
    expected = [v.strip() for v in values if v.strip()]
    assert await collect(ndjson_lines, split(body, cuts), "application/x-ndjson") == expected


@hsettings(max_examples=100, deadline=None)
@given(size=st.integers(CAP + 1, 4 * CAP), cuts=cuts, ended=st.booleans())
async def test_a_line_over_the_cap_is_refused_wherever_reads_end(
    size: int, cuts: list[int], ended: bool
) -> None:
    body = b"{}\n" + b"x" * size + (b"\n{}\n" if ended else b"")
    with pytest.raises(ProtocolFault, match=f"line longer than {CAP} bytes"):
        await collect(ndjson_lines, split(body, cuts), "application/x-ndjson")


async def test_a_line_of_exactly_the_cap_is_taken() -> None:
    line = b"x" * CAP
    assert await collect(ndjson_lines, [line[:10], line[10:] + b"\n"], "application/x-ndjson") == [
        line
    ]
