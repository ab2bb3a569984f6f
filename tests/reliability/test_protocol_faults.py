"""Upstream protocol faults, one by one: each is UNAVAILABLE with a reason naming the fault.

An answer that breaks the provider's own wire format (a line over the cap, invalid UTF-8,
a wrong content type, a body that is not JSON or has a field of the wrong type) is
UPSTREAM_INVALID_RESPONSE: asking the same upstream again would get the same. A body cut
short is UPSTREAM_UNAVAILABLE, like any other broken connection. Neither is ever INTERNAL:
that status means a bug in the gateway.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import grpc
import orjson
import pytest

from modelgate.config import UPSTREAM_MAX_LINE_BYTES
from tests.fakes import Fault, Reply
from tests.reliability.wires import SSE, STREAMS, WIRES, Upstreams, Wire, sse, upstreams

SMALL_CAP = 4096
INVALID = (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_INVALID_RESPONSE")
OURS = [w for w in WIRES if w.ours]
OWN_STREAMS = [w for w in STREAMS if w.ours]
OWN_UNARY = [w for w in OURS if w.rpc != "stream"]
TEXT_WIRES = [w for w in WIRES if w.rpc != "embed"]
CHAT_STREAM = next(w for w in STREAMS if w.name == "openai chat stream")


def ids(wires: list[Wire] | tuple[Wire, ...]) -> list[str]:
    return [w.name for w in wires]


@pytest.fixture(scope="module")
async def default() -> AsyncIterator[Upstreams]:
    """The shipped line cap (`limits.upstream_max_line_bytes`, 4 MiB)."""
    async with upstreams(UPSTREAM_MAX_LINE_BYTES) as running:
        yield running


@pytest.fixture(scope="module")
async def small() -> AsyncIterator[Upstreams]:
    """A 4 KiB line cap, so lines over it are cheap to send."""
    async with upstreams(SMALL_CAP) as running:
        yield running


async def serve(up: Upstreams, wire: Wire, answer: Fault) -> tuple[Any, list[Any]]:
    """The status and events of one call whose upstream answers `answer`."""
    fake = up.fake(wire)
    fake.reset()
    fake.script(answer, path=wire.path)
    return await up.call(wire)


async def serve_measured(up: Upstreams, wire: Wire, answer: Fault) -> tuple[Any, int]:
    """The status of one such call, and the peak of Python allocations while it ran (the
    gateway and the fake share this process; the fake's answer is built before)."""
    tracemalloc.start()
    try:
        status, _ = await serve(up, wire, answer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return status, peak


def raw(wire: Wire, body: bytes, **kw: Any) -> Fault:
    """`body` under the wire's own content type unless told otherwise."""
    return Fault.raw(body, content_type=kw.pop("content_type", wire.content_type), **kw)


def texts(events: list[Any]) -> str:
    return "".join(e.text_delta.text for e in events if e.HasField("text_delta"))


@pytest.mark.parametrize("wire", STREAMS, ids=ids(STREAMS))
async def test_a_one_mib_line_under_the_cap_streams_whole(default: Upstreams, wire: Wire) -> None:
    big = "x" * (1 << 20)
    default.fake(wire).reset()
    default.fake(wire).script(Reply(chunks=[big]), path=wire.path)
    status, events = await default.call(wire)
    assert status.code == grpc.StatusCode.OK, status.message
    assert texts(events) == big


async def test_a_one_mib_tool_call_argument_in_one_sse_line_arrives_whole(
    default: Upstreams,
) -> None:
    arguments = orjson.dumps({"blob": "y" * (1 << 20)}).decode()
    call = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": arguments}}
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}
    status, events = await serve(
        default, CHAT_STREAM, raw(CHAT_STREAM, sse(chunk) + b"data: [DONE]\n\n")
    )
    assert status.code == grpc.StatusCode.OK, status.message
    assert [e.tool_call_delta.arguments_json for e in events[1:-1]] == [arguments]


@pytest.mark.parametrize("wire", OWN_STREAMS, ids=ids(OWN_STREAMS))
async def test_a_line_over_the_cap_is_an_invalid_response_naming_the_cap(
    small: Upstreams, wire: Wire
) -> None:
    status, _ = await serve(small, wire, raw(wire, wire.frame({"pad": "z" * 2 * SMALL_CAP})))
    assert (status.code, status.reason) == INVALID
    assert f"sent a line longer than {SMALL_CAP} bytes" in status.message


async def test_an_sse_event_over_the_cap_is_refused_even_in_short_lines(small: Upstreams) -> None:
    lines = b"data: " + b"1" * 100 + b"\n"
    status, _ = await serve(small, CHAT_STREAM, raw(CHAT_STREAM, lines * (SMALL_CAP // 50)))
    assert (status.code, status.reason) == INVALID
    assert f"sent an event longer than {SMALL_CAP} bytes" in status.message


async def test_an_endless_line_costs_the_cap_not_what_the_upstream_sends(
    default: Upstreams,
) -> None:
    """64 MiB in one line against the 4 MiB cap: the gateway holds the line's pieces up to
    the cap, then drops the connection (measured: a 4.5 MiB peak of traced allocations).
    A line that ends just under the cap costs about twice it, while its pieces are joined."""
    piece = b"x" * (1 << 16)
    endless = Fault.raw(b"data: ", *(piece,) * 1024, content_type=SSE)
    status, peak = await serve_measured(default, CHAT_STREAM, endless)
    assert (status.code, status.reason) == INVALID
    assert f"line longer than {UPSTREAM_MAX_LINE_BYTES} bytes" in status.message
    assert peak < 2 * UPSTREAM_MAX_LINE_BYTES, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("wire", TEXT_WIRES, ids=ids(TEXT_WIRES))
async def test_invalid_utf8_is_an_invalid_response(small: Upstreams, wire: Wire) -> None:
    body = wire.good().replace(b"hello", b"hel\xfflo")
    status, _ = await serve(small, wire, raw(wire, body))
    assert (status.code, status.reason) == INVALID
    if wire.ours:
        assert "invalid UTF-8" in status.message


async def test_invalid_utf8_in_an_sse_event_name_is_an_invalid_response(small: Upstreams) -> None:
    body = b"event: \xff\n" + CHAT_STREAM.good()
    status, _ = await serve(small, CHAT_STREAM, raw(CHAT_STREAM, body))
    assert (status.code, status.reason) == INVALID
    assert "invalid UTF-8 in an event name" in status.message


@pytest.mark.parametrize("wire", WIRES, ids=ids(WIRES))
async def test_an_html_page_instead_of_the_answer_is_an_invalid_response_naming_it(
    small: Upstreams, wire: Wire
) -> None:
    page = raw(wire, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    status, _ = await serve(small, wire, page)
    assert (status.code, status.reason) == INVALID
    if wire.ours or wire.rpc == "stream":
        assert "text/html" in status.message


@pytest.mark.parametrize("wire", STREAMS, ids=ids(STREAMS))
async def test_a_whole_json_answer_to_a_stream_request_is_refused_for_sse(
    small: Upstreams, wire: Wire
) -> None:
    """Ollama's NDJSON may come as application/json (each line is checked anyway)."""
    status, _ = await serve(small, wire, raw(wire, wire.good(), content_type="application/json"))
    if wire.content_type == SSE:
        assert (status.code, status.reason) == INVALID
        assert "application/json" in status.message
    else:
        assert status.code == grpc.StatusCode.OK


@pytest.mark.parametrize("wire", WIRES, ids=ids(WIRES))
async def test_a_body_cut_short_is_unavailable_like_a_broken_connection(
    small: Upstreams, wire: Wire
) -> None:
    good = wire.good()
    status, _ = await serve(small, wire, raw(wire, good[: len(good) // 2], length=len(good)))
    assert (status.code, status.reason) == (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
    if wire.ours:
        assert "broke off" in status.message


@pytest.mark.parametrize("wire", OWN_STREAMS, ids=ids(OWN_STREAMS))
async def test_a_stream_that_ends_mid_frame_is_truncated_not_malformed(
    small: Upstreams, wire: Wire
) -> None:
    """The SSE spec drops an event the body ends before its blank line; an NDJSON line cut
    by the end is not JSON. Either way the stream lacks its end."""
    good = wire.good()
    status, _ = await serve(small, wire, raw(wire, good[: good.rindex(b"\n", 0, -2) + 5]))
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason in ("UPSTREAM_UNAVAILABLE", "UPSTREAM_INVALID_RESPONSE")
    if wire.content_type == SSE:
        assert "stream ended without" in status.message


@pytest.mark.parametrize("wire", OWN_UNARY, ids=ids(OWN_UNARY))
async def test_a_json_answer_that_is_not_json_is_an_invalid_response(
    small: Upstreams, wire: Wire
) -> None:
    status, _ = await serve(small, wire, raw(wire, wire.good()[:-3]))
    assert (status.code, status.reason) == INVALID
    assert "malformed JSON" in status.message


async def test_sse_fields_a_client_does_not_know_are_ignored(small: Upstreams) -> None:
    noise = b": keep-alive\nid: 7\nretry: 3000\nfoo: bar\n"
    frames = [CHAT_STREAM.frame(o) for o in CHAT_STREAM.objects]
    body = b"".join(noise + f for f in frames) + noise + CHAT_STREAM.tail
    status, events = await serve(small, CHAT_STREAM, raw(CHAT_STREAM, body))
    assert status.code == grpc.StatusCode.OK, status.message
    assert texts(events) == "hello"


async def test_an_ndjson_line_that_is_not_an_object_is_an_invalid_response(
    small: Upstreams,
) -> None:
    wire = next(w for w in STREAMS if w.upstream == "ollama")
    status, _ = await serve(small, wire, raw(wire, b"[1, 2]\n" + wire.good()))
    assert (status.code, status.reason) == INVALID
    assert "sent a stream line that is a list, not an object" in status.message


def reshaped(wire: Wire, index: int, path: str, value: Any) -> bytes:
    """`wire`'s good answer with the field at dotted `path` of object `index` set to `value`."""
    objects = orjson.loads(orjson.dumps(wire.objects))
    *parents, last = path.split(".")
    node = objects[index]
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return b"".join(wire.frame(o) for o in objects) + wire.tail


WRONG_SHAPES = [
    ("openai chat", 0, "choices", "many", "choices as a string, not a list"),
    ("openai chat", 0, "usage", [3, 2], "usage as a list, not an object"),
    ("openai chat", 0, "choices.0.message.tool_calls.0.function", "f", "as a string"),
    ("openai chat stream", 0, "choices.0.delta.content", 7, "delta.content as a number"),
    ("openai chat stream", 4, "usage", [], "usage as a list, not an object"),
    ("openai chat stream", 4, "usage.prompt_tokens", "3", "prompt_tokens as a string"),
    ("openai chat stream", 1, "choices.0.delta.tool_calls.0.index", -1, "= -1, not a count"),
    ("openai embeddings", 0, "data.0.embedding", "%%", "neither floats nor base64"),
    ("openai embeddings", 0, "data", {"0": [1.0]}, "data as an object, not a list"),
    ("openai responses", 0, "output", "hello", "malformed Response"),
    ("openai responses stream", 4, "response.usage", [1], "malformed Response"),
    ("anthropic", 0, "content", "hello", "content as a string, not a list"),
    ("anthropic", 0, "usage.output_tokens", 2**40, "not a count"),
    ("anthropic stream", 2, "delta", ["text_delta"], "delta as a list, not an object"),
    ("anthropic stream", 4, "content_block.name", 5, "tool_use.name as a number"),
    ("ollama chat", 0, "message", "hello", "message as a string, not an object"),
    ("ollama chat", 0, "eval_count", "7", "eval_count as a string, not a count"),
    ("ollama chat stream", 0, "message.content", {"text": "hi"}, "content as an object"),
    ("ollama chat stream", 1, "message.tool_calls.0.function", None, "function as null"),
    ("ollama embed", 0, "embeddings.0", ["a"], "not a list of numbers"),
]


@pytest.mark.parametrize("case", WRONG_SHAPES, ids=[f"{n}: {p}" for n, _, p, *_ in WRONG_SHAPES])
async def test_json_of_the_wrong_shape_is_an_invalid_response_naming_the_field(
    small: Upstreams, case: tuple[str, int, str, Any, str]
) -> None:
    name, index, path, value, message = case
    wire = next(w for w in WIRES if w.name == name)
    status, _ = await serve(small, wire, raw(wire, reshaped(wire, index, path, value)))
    assert (status.code, status.reason) == INVALID
    assert message in status.message


DEEP_ARGUMENTS = [
    ("openai chat", 0, "choices.0.message.tool_calls.0.function.arguments", True),
    ("anthropic", 0, "content.1.input", False),
    ("ollama chat", 0, "message.tool_calls.0.function.arguments", False),
    ("ollama chat stream", 1, "message.tool_calls.0.function.arguments", False),
]


@pytest.mark.parametrize("case", DEEP_ARGUMENTS, ids=[c[0] for c in DEEP_ARGUMENTS])
async def test_tool_arguments_nested_hundreds_deep_are_an_invalid_response(
    small: Upstreams, case: tuple[str, int, str, bool]
) -> None:
    """Valid JSON (orjson reads 1024 levels) that no Struct or JSON encoder here carries."""
    name, index, path, as_text = case
    wire = next(w for w in WIRES if w.name == name)
    deep = b'{"a":' * 600 + b"1" + b"}" * 600
    value = orjson.dumps(deep.decode()) if as_text else deep
    body = reshaped(wire, index, path, "DEEP").replace(b'"DEEP"', value)
    status, _ = await serve(small, wire, raw(wire, body))
    assert (status.code, status.reason) == INVALID
    assert "nested too deeply" in status.message


@pytest.mark.parametrize("wire", WIRES, ids=ids(WIRES))
async def test_every_good_answer_of_the_wire_table_is_ok(small: Upstreams, wire: Wire) -> None:
    """The fault tests above break answers that are otherwise accepted."""
    status, _ = await serve(small, wire, raw(wire, wire.good()))
    assert status.code == grpc.StatusCode.OK, status.message
