"""Property: whatever bytes an upstream sends, the caller sees a documented status.

Each wire format's fake serves byte streams built from that format's own pieces (valid
frames in any order, frames with a field of the wrong type, cut frames, random bytes,
invalid UTF-8, SSE fields nobody asked for, lines over the cap), chopped into reads at
random points, under the right or a wrong content type, ended properly, cut short or
reset. The caller must get OK or a status of the README's error table: never INTERNAL
(our bug), UNKNOWN, or DEADLINE_EXCEEDED (a hang: the deadline is far above the work).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.fakes import Fault
from tests.fakes.scenario import RawEnding
from tests.reliability.wires import WIRES, Upstreams, Wire, upstreams

CAP = 2048
"""The fuzzed gateway's `limits.upstream_max_line_bytes`: small, so huge lines are cheap."""
EXAMPLES = 60
"""Per wire format: ten formats stay well under a minute on a busy 2-core machine."""

DOCUMENTED = {
    grpc.StatusCode.OK: {""},
    grpc.StatusCode.INVALID_ARGUMENT: {"UPSTREAM_BAD_REQUEST", "CONTEXT_LENGTH_EXCEEDED"},
    grpc.StatusCode.FAILED_PRECONDITION: {"UPSTREAM_AUTH_FAILED", "UPSTREAM_MODEL_NOT_FOUND"},
    grpc.StatusCode.RESOURCE_EXHAUSTED: {"RATE_LIMITED"},
    grpc.StatusCode.UNAVAILABLE: {
        "UPSTREAM_UNAVAILABLE",
        "UPSTREAM_OVERLOADED",
        "UPSTREAM_INVALID_RESPONSE",
    },
}
"""The README's error table: every status an upstream can cause, with its reasons."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one field somewhere inside replaced by any JSON value (or dropped)."""
    if isinstance(value, dict) and value and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(value)))
        if draw(st.integers(0, 5)) == 0:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: draw(mutated(value[key]))}
    if isinstance(value, list) and value and draw(st.integers(0, 3)):
        index = draw(st.integers(0, len(value) - 1))
        return [draw(mutated(v)) if i == index else v for i, v in enumerate(value)]
    return draw(json_values)


ENDINGS: list[RawEnding] = ["eof", "eof", "eof", "eof", "eof", "eof", "close", "reset"]
BAD_UTF8 = st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x28\x8c", b"\x80"])
SSE_NOISE = st.sampled_from(
    [
        *(b": keep-alive\n", b"id: 7\n", b"retry: soon\n", b"foo: bar\n", b"data\n", b"\r\n"),
        *(b"event: \xff\n", b"event: error\n", b"event: message_stop\n", b"data: [DONE]\n\n"),
    ]
)


def pieces(wire: Wire) -> st.SearchStrategy[bytes]:
    """The building blocks of a body in `wire`'s format."""
    valid = st.sampled_from(wire.objects).map(wire.frame)
    wrong_shape = st.sampled_from(wire.objects).flatmap(mutated).map(wire.frame)
    cut = st.tuples(valid, st.integers(0, 200)).map(lambda t: t[0][: t[1]])
    bad_utf8 = st.tuples(valid, BAD_UTF8).map(lambda t: t[0].replace(b"hello", b"hel" + t[1]))
    huge = st.integers(1, 512).map(lambda n: b"data: " + b"x" * (CAP + n) + b"\n")
    blocks = [valid, valid, wrong_shape, wrong_shape, cut, bad_utf8, huge, st.binary(max_size=24)]
    if wire.content_type == "text/event-stream":
        blocks.append(SSE_NOISE)
    return st.one_of(*blocks)


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in `n` draws."""
    return st.integers(0, n - 1).map(lambda i: i == 0)


@st.composite
def bodies(draw: st.DrawFn, wire: Wire) -> bytes:
    """A good answer with some of its frames broken, or pieces in any order."""
    if draw(one_in(4)):
        return b"".join(draw(st.lists(pieces(wire), max_size=8)))
    out: list[bytes] = []
    for value in wire.objects:
        if draw(one_in(4)):
            out.append(wire.frame(draw(mutated(value))))
        elif draw(one_in(8)):
            out.append(draw(pieces(wire)))
        else:
            out.append(wire.frame(value))
        if draw(one_in(8)):
            out.append(draw(pieces(wire)))
    return b"".join(out) + (b"" if draw(one_in(6)) else wire.tail)


@st.composite
def answers(draw: st.DrawFn, wire: Wire) -> Fault:
    """A whole upstream answer in `wire`'s format, broken in its bytes, framing or ending."""
    body = draw(bodies(wire))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=4))))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    content_type = wire.content_type
    if draw(one_in(6)):
        content_type = draw(st.sampled_from(["text/html", "application/json", "text/plain"]))
    status = draw(st.sampled_from([400, 401, 404, 429, 500, 503, 529])) if draw(one_in(6)) else 200
    length = len(body) + draw(st.integers(1, 64)) if draw(one_in(10)) else None
    ending = draw(st.sampled_from(ENDINGS))
    return Fault.raw(
        *chunks, content_type=content_type, status=status, length=length, ending=ending
    )


@pytest.fixture(scope="module")
async def up() -> AsyncIterator[Upstreams]:
    async with upstreams(CAP) as running:
        yield running


@pytest.mark.parametrize("wire", WIRES, ids=[w.name for w in WIRES])
@hsettings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_upstream_bytes_end_in_a_documented_status(
    up: Upstreams, wire: Wire, data: st.DataObject
) -> None:
    answer = data.draw(answers(wire), label="answer")
    fake = up.fake(wire)
    fake.reset()
    fake.script(answer, path=wire.path)
    status, received = await up.call(wire)
    event(f"{status.code.name} {status.reason}")  # pytest --hypothesis-show-statistics
    assert status.reason in DOCUMENTED.get(status.code, set()), (
        f"{status.code.name} {status.reason}: {status.message}"
    )
    if status.code != grpc.StatusCode.OK:
        assert status.message, "every failure says what happened"
    elif wire.rpc == "stream":
        ends = [e for e in received if e.HasField("end")]
        assert ends == received[-1:], "a stream that ends OK ends with exactly one end event"
