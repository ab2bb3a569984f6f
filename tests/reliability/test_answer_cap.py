"""Whole (not streamed) upstream answers are bounded: `limits.upstream_max_answer_bytes`.

An answer over the cap is UNAVAILABLE `UPSTREAM_INVALID_RESPONSE` naming the cap, refused
by its Content-Length before any of it is read, or while it arrives when it is chunked;
an error answer is read only as far as its first 64 KiB, and still classified.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import orjson
import pytest

from tests.fakes import Fault
from tests.reliability.test_protocol_faults import (
    INVALID,
    SMALL_CAP,
    ids,
    raw,
    serve,
    serve_measured,
)
from tests.reliability.wires import WIRES, Upstreams, Wire, upstreams

UNARY = [w for w in WIRES if w.rpc != "stream" and w.ours]
ANSWER_CAP = 16 * 1024


@pytest.fixture(scope="module")
async def capped() -> AsyncIterator[Upstreams]:
    """A 16 KiB answer cap (and a 4 KiB line cap: streams are not what is tested here)."""
    async with upstreams(SMALL_CAP, max_answer_bytes=ANSWER_CAP) as running:
        yield running


def _padded(wire: Wire, size: int) -> bytes:
    """The wire's own good answer, grown to `size` bytes by trailing JSON whitespace."""
    good = wire.good()
    return good + b" " * (size - len(good))


@pytest.mark.parametrize("wire", UNARY, ids=ids(UNARY))
async def test_an_answer_just_under_the_cap_is_taken(capped: Upstreams, wire: Wire) -> None:
    status, _ = await serve(capped, wire, raw(wire, _padded(wire, ANSWER_CAP)))
    assert status.code == grpc.StatusCode.OK, status.message


@pytest.mark.parametrize("wire", UNARY, ids=ids(UNARY))
async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    capped: Upstreams, wire: Wire
) -> None:
    body = _padded(wire, ANSWER_CAP + 1)
    status, _ = await serve(capped, wire, raw(wire, body, length=len(body)))
    assert (status.code, status.reason) == INVALID
    assert f"announced an answer of {ANSWER_CAP + 1} bytes, over the {ANSWER_CAP} cap" in (
        status.message
    )


@pytest.mark.parametrize("wire", UNARY, ids=ids(UNARY))
async def test_a_chunked_answer_over_the_cap_is_refused_as_it_arrives(
    capped: Upstreams, wire: Wire
) -> None:
    piece = b" " * 4096
    endless = Fault.raw(wire.good(), *(piece,) * 64, content_type=wire.content_type)  # 256 KiB
    status, _ = await serve(capped, wire, endless)
    assert (status.code, status.reason) == INVALID
    assert f"sent an answer of more than {ANSWER_CAP} bytes" in status.message


async def test_an_endless_answer_is_never_held_whole(capped: Upstreams) -> None:
    wire = next(w for w in UNARY if w.name == "openai chat")
    endless = Fault.raw(b'{"id": "', *(b"x" * (1 << 16),) * 256, content_type=wire.content_type)
    status, peak = await serve_measured(capped, wire, endless)
    assert (status.code, status.reason) == INVALID
    assert peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 16 MiB answer"


@pytest.mark.parametrize("wire", UNARY, ids=ids(UNARY))
async def test_a_huge_error_answer_is_cut_and_still_classified(
    capped: Upstreams, wire: Wire
) -> None:
    error = orjson.dumps({"error": {"message": "overloaded", "type": "overloaded_error"}})
    padding = (b" " * (1 << 16),) * 64  # 4 MiB after the error JSON
    answer = Fault.raw(error, *padding, content_type="application/json", status=503)
    status, peak = await serve_measured(capped, wire, answer)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason in ("UPSTREAM_OVERLOADED", "UPSTREAM_UNAVAILABLE")
    assert peak < 2 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 4 MiB error answer"
