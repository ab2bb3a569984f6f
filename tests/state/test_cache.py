"""The response cache and its key: the specification every backend meets."""

from __future__ import annotations

import time
from pathlib import Path

from google.protobuf import struct_pb2

from modelgate.api.decoding import DECODED_AS
from modelgate.state import State, build_state, cache_key
from modelgate.state.memory import MemoryResponseCache
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, embedding_pb2, generation_pb2
from tests.waiting import eventually


def chat(**fields: object) -> chat_pb2.ChatRequest:
    request = chat_pb2.ChatRequest(
        model="fast",
        messages=[
            content_pb2.Message(
                role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text="hello")]
            )
        ],
        generation=generation_pb2.GenerationConfig(temperature=0.0, seed=7),
    )
    for name, value in fields.items():
        setattr(request, name, value)
    return request


async def test_cache_returns_what_was_set_and_none_for_unknown_keys(state: State) -> None:
    value = b"\x00\x01serialized response\xff"
    await state.cache.set("k1", value, ttl=60)
    assert await state.cache.get("k1") == value
    assert await state.cache.get("k2") is None


async def test_setting_a_key_again_replaces_its_value(state: State) -> None:
    await state.cache.set("k", b"old", ttl=60)
    await state.cache.set("k", b"new", ttl=60)
    assert await state.cache.get("k") == b"new"


async def test_cache_entry_expires_after_its_ttl(state: State) -> None:
    ttl = 0.3
    set_at = time.monotonic()
    await state.cache.set("short", b"v", ttl=ttl)
    await state.cache.set("long", b"v", ttl=60)

    async def gone() -> bool:
        value = await state.cache.get("short")
        assert value in (b"v", None)
        return value is None

    # Polled rather than "get at once, sleep past the TTL, get again": a slow machine can
    # only make the first miss later, never earlier, so the bound below cannot flake.
    gone_at = await eventually(gone, what="the short entry expiring")
    assert gone_at - set_at >= ttl - 0.05, "still there for its whole TTL (0.05 s: clocks)"
    assert await state.cache.get("long") == b"v"


async def test_a_non_positive_ttl_removes_the_entry(state: State) -> None:
    await state.cache.set("k", b"v", ttl=60)
    await state.cache.set("k", b"v2", ttl=0)
    assert await state.cache.get("k") is None


async def test_memory_cache_evicts_the_least_recently_used_entry() -> None:
    cache = MemoryResponseCache(max_entries=2)
    await cache.set("a", b"1", ttl=60)
    await cache.set("b", b"2", ttl=60)
    assert await cache.get("a") == b"1"  # now "b" is the least recently used
    await cache.set("c", b"3", ttl=60)
    assert await cache.get("b") is None
    assert await cache.get("a") == b"1"
    assert await cache.get("c") == b"3"


async def test_sqlite_cache_stays_within_max_entries_dropping_the_soonest_to_expire(
    tmp_path: Path,
) -> None:
    state = await build_state(f"sqlite://{tmp_path / 'c.db'}", cache_entries=2)
    try:
        await state.cache.set("late", b"1", ttl=300)
        await state.cache.set("soon", b"2", ttl=100)
        await state.cache.set("mid", b"3", ttl=200)
        assert await state.cache.get("soon") is None
        assert await state.cache.get("late") == b"1"
        assert await state.cache.get("mid") == b"3"
    finally:
        await state.aclose()


def test_cache_key_ignores_caller_only_fields() -> None:
    plain = chat()
    tagged = chat(user="end-user-42")
    tagged.metadata["team"] = "search"
    tagged.cache_control.mode = generation_pb2.CACHE_MODE_REFRESH
    assert cache_key("gpt-4o", plain) == cache_key("gpt-4o", tagged)


def test_cache_key_does_not_modify_the_request() -> None:
    request = chat(user="u")
    request.metadata["team"] = "t"
    before = request.SerializeToString(deterministic=True)
    cache_key("gpt-4o", request)
    assert request.SerializeToString(deterministic=True) == before


def test_cache_key_changes_with_anything_that_shapes_the_answer() -> None:
    base = cache_key("gpt-4o", chat())
    warmer = chat()
    warmer.generation.temperature = 0.5
    other_seed = chat()
    other_seed.generation.seed = 8
    other_text = chat()
    other_text.messages[0].parts[0].text = "hello!"
    assert cache_key("gpt-4o", warmer) != base
    assert cache_key("gpt-4o", other_seed) != base
    assert cache_key("gpt-4o", other_text) != base
    assert cache_key("claude-sonnet-4-5", chat()) != base


def test_cache_key_is_stable_whatever_the_order_of_map_entries() -> None:
    first, second = chat(), chat()
    names = [f"option_{i}" for i in range(50)]
    first.generation.extra.update({name: i for i, name in enumerate(names)})
    second.generation.extra.update({name: i for i, name in reversed(list(enumerate(names)))})
    assert first.SerializeToString() != second.SerializeToString()  # why deterministic=True
    assert cache_key("gpt-4o", first) == cache_key("gpt-4o", second)
    assert len(cache_key("gpt-4o", first)) == 64
    assert int(cache_key("gpt-4o", first), 16) >= 0


def test_cache_key_parts_cannot_run_into_each_other() -> None:
    # Serialized, ChatRequest(messages=[Message()]) is b"\x12\x00": concatenated without
    # lengths, model "m" + that request would equal model "m\x12\x00" + an empty request.
    one_empty_message = chat_pb2.ChatRequest(messages=[content_pb2.Message()])
    assert cache_key("m", one_empty_message) != cache_key("m\x12\x00", chat_pb2.ChatRequest())


def test_cache_key_is_shared_by_chat_and_stream_chat_but_not_by_other_kinds() -> None:
    request = chat()
    streamed = DECODED_AS["modelgate.v1.ModelGateway/StreamChat"](request.SerializeToString())
    assert cache_key("m", request) == cache_key("m", streamed)
    # Same wire bytes (field 1 = model only), different RPCs: never the same entry.
    assert cache_key("m", chat_pb2.ChatRequest(model="m")) != cache_key(
        "m", completion_pb2.CompleteRequest(model="m")
    )


def test_cache_key_clears_only_the_fields_a_request_has() -> None:
    embed = embedding_pb2.EmbedRequest(model="e", inputs=["a"], user="u")
    embed.metadata["k"] = "v"
    assert cache_key("e", embed) == cache_key(
        "e", embedding_pb2.EmbedRequest(model="e", inputs=["a"])
    )
    tools = chat()
    tools.tools.add(name="t", parameters=struct_pb2.Struct())
    assert cache_key("m", tools) != cache_key("m", chat())
