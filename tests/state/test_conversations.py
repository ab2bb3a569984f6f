"""Conversation history: the specification every backend meets."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2

from modelgate.state import State
from modelgate.state.conversations import Conversation, decode_history, trim_history
from modelgate.state.memory import MemoryConversationStore
from modelgate.v1 import chat_pb2, content_pb2
from tests.state.conftest import MakeState
from tests.waiting import eventually

SYSTEM = content_pb2.ROLE_SYSTEM
USER = content_pb2.ROLE_USER
ASSISTANT = content_pb2.ROLE_ASSISTANT
TOOL = content_pb2.ROLE_TOOL


def text(role: int, value: str) -> content_pb2.Message:
    return content_pb2.Message(role=role, parts=[content_pb2.ContentPart(text=value)])  # type: ignore[arg-type]


def struct(**values: Any) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(values)
    return result


def rich_history() -> list[content_pb2.Message]:
    """Every kind of part and every optional field a message can carry."""
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\x00binary"
    image = content_pb2.Image(data=png, mime_type="image/png", detail=content_pb2.IMAGE_DETAIL_HIGH)
    url_image = content_pb2.Image(url="https://example.com/cat.webp")
    call = content_pb2.ToolCall(
        id="call_1", name="lookup", arguments=struct(city="Zürich", days=3, nested={"a": [1, None]})
    )
    return [
        text(SYSTEM, "be brief"),
        content_pb2.Message(
            role=USER,
            name="alice",
            parts=[
                content_pb2.ContentPart(text="what is in these?"),
                content_pb2.ContentPart(image=image),
                content_pb2.ContentPart(image=url_image),
            ],
        ),
        content_pb2.Message(role=ASSISTANT, parts=[content_pb2.ContentPart(tool_call=call)]),
        content_pb2.Message(
            role=TOOL,
            parts=[
                content_pb2.ContentPart(
                    tool_result=content_pb2.ToolResult(
                        tool_call_id="call_1", json=struct(ok=False), is_error=True, name="lookup"
                    )
                ),
                content_pb2.ContentPart(
                    tool_result=content_pb2.ToolResult(tool_call_id="call_2", text="plain")
                ),
            ],
        ),
        text(ASSISTANT, "a cat and a dog"),
    ]


async def test_saved_conversation_round_trips_every_message_field(state: State) -> None:
    history = rich_history()
    await state.conversations.save("resp_1", "key-a", history, "gpt-4o")
    stored = await state.conversations.load("resp_1", "key-a")
    assert stored == Conversation(history, "resp_1"), "a first turn names its own conversation"
    loaded = stored.messages
    assert loaded[1].parts[1].image.data == history[1].parts[1].image.data
    arguments = json_format.MessageToDict(loaded[2].parts[0].tool_call.arguments)
    assert arguments == {"city": "Zürich", "days": 3, "nested": {"a": [1, None]}}


async def test_a_later_turn_keeps_the_conversation_id_of_the_first(state: State) -> None:
    await state.conversations.save(
        "resp_2", "key-a", [text(USER, "again")], "echo", conversation_id="resp_1"
    )
    stored = await state.conversations.load("resp_2", "key-a")
    assert stored == Conversation([text(USER, "again")], "resp_1")


def test_a_history_stored_before_conversation_ids_is_its_own_conversation() -> None:
    old = chat_pb2.ChatRequest(model="echo", messages=[text(USER, "hi")]).SerializeToString()
    assert decode_history(old, "resp_old") == Conversation([text(USER, "hi")], "resp_old")


async def test_unknown_response_id_loads_none(state: State) -> None:
    await state.conversations.save("resp_known", "", [text(USER, "hi")], "echo")
    assert await state.conversations.load("resp_unknown", "") is None


async def test_conversation_is_invisible_to_another_owner(state: State) -> None:
    await state.conversations.save("resp_a", "key-a", [text(USER, "secret")], "echo")
    assert await state.conversations.load("resp_a", "key-b") is None
    assert await state.conversations.load("resp_a", "") is None
    assert await state.conversations.load("resp_a", "key-a") == Conversation(
        [text(USER, "secret")], "resp_a"
    )


async def test_anonymous_conversation_is_invisible_to_keyed_callers(state: State) -> None:
    await state.conversations.save("resp_anon", "", [text(USER, "hi")], "echo")
    assert await state.conversations.load("resp_anon", "key-a") is None
    assert await state.conversations.load("resp_anon", "") == Conversation(
        [text(USER, "hi")], "resp_anon"
    )


async def test_conversation_expires_after_its_ttl(make_state: MakeState) -> None:
    ttl = 0.3
    state = await make_state(ttl_seconds=ttl)
    saved_at = time.monotonic()
    await state.conversations.save("resp_short", "", [text(USER, "hi")], "echo")

    async def gone() -> bool:
        return await state.conversations.load("resp_short", "") is None

    # Polled rather than "load at once, sleep past the TTL, load again": a slow machine
    # can only make the first miss later, never earlier, so the bound below cannot flake.
    gone_at = await eventually(gone, what="the conversation expiring")
    assert gone_at - saved_at >= ttl - 0.05, "still there for its whole TTL (0.05 s: clocks)"


async def test_saving_trims_oldest_messages_but_keeps_system_ones(make_state: MakeState) -> None:
    state = await make_state(max_history=4)
    history = [
        text(SYSTEM, "s1"),
        text(USER, "u1"),
        text(ASSISTANT, "a1"),
        text(SYSTEM, "s2"),
        text(USER, "u2"),
        text(ASSISTANT, "a2"),
    ]
    await state.conversations.save("resp_long", "", history, "echo")
    stored = await state.conversations.load("resp_long", "")
    assert stored is not None
    assert stored.messages == [
        text(SYSTEM, "s1"),
        text(SYSTEM, "s2"),
        text(USER, "u2"),
        text(ASSISTANT, "a2"),
    ]


async def test_caller_mutations_never_reach_the_stored_history(state: State) -> None:
    history = [text(USER, "original")]
    await state.conversations.save("resp_m", "", history, "echo")
    history[0].parts[0].text = "changed after save"
    loaded = await state.conversations.load("resp_m", "")
    assert loaded is not None
    loaded.messages[0].parts[0].text = "changed after load"
    assert await state.conversations.load("resp_m", "") == Conversation(
        [text(USER, "original")], "resp_m"
    )


async def test_empty_response_id_is_rejected(state: State) -> None:
    with pytest.raises(ValueError, match="response_id"):
        await state.conversations.save("", "", [text(USER, "hi")], "echo")


def test_trimming_keeps_the_newest_messages_within_the_limit() -> None:
    history = [text(SYSTEM, "s"), text(USER, "u1"), text(ASSISTANT, "a1")]
    history += [text(USER, "u2"), text(ASSISTANT, "a2")]
    assert trim_history(history, 5) == history
    assert trim_history(history, 3) == [text(SYSTEM, "s"), text(USER, "u2"), text(ASSISTANT, "a2")]


def test_trimming_starts_the_kept_history_at_a_user_turn() -> None:
    call = content_pb2.Message(
        role=ASSISTANT,
        parts=[content_pb2.ContentPart(tool_call=content_pb2.ToolCall(id="c", name="t"))],
    )
    result = content_pb2.Message(
        role=TOOL,
        parts=[content_pb2.ContentPart(tool_result=content_pb2.ToolResult(tool_call_id="c"))],
    )
    history = [text(SYSTEM, "s"), text(USER, "u1"), call, result, text(ASSISTANT, "a1")]
    history += [text(USER, "u2"), text(ASSISTANT, "a2")]
    # 4 non-system slots would start at the tool result, whose call is gone.
    assert trim_history(history, 5) == [text(SYSTEM, "s"), text(USER, "u2"), text(ASSISTANT, "a2")]


def test_trimming_never_keeps_an_orphaned_tool_result_first() -> None:
    result = content_pb2.Message(
        role=TOOL,
        parts=[content_pb2.ContentPart(tool_result=content_pb2.ToolResult(tool_call_id="c"))],
    )
    history = [text(USER, "u1"), text(ASSISTANT, "calls"), result, text(ASSISTANT, "a1")]
    assert trim_history(history, 2) == [text(ASSISTANT, "a1")]


async def test_memory_store_past_its_cap_forgets_the_oldest_conversation() -> None:
    store = MemoryConversationStore(max_conversations=2)
    for response_id in ("resp_1", "resp_2", "resp_3"):
        await store.save(response_id, "", [text(USER, response_id)], "echo")
    assert await store.load("resp_1", "") is None
    assert await store.load("resp_2", "") == Conversation([text(USER, "resp_2")], "resp_2")
    assert await store.load("resp_3", "") == Conversation([text(USER, "resp_3")], "resp_3")


async def test_memory_store_is_bounded_by_bytes_oldest_first() -> None:
    from modelgate.state.memory import MemoryConversationStore
    from modelgate.v1 import content_pb2

    def big(text: str) -> list[content_pb2.Message]:
        part = content_pb2.ContentPart(text=text * 10_000)
        return [content_pb2.Message(role=content_pb2.ROLE_USER, parts=[part])]

    store = MemoryConversationStore(max_bytes=25_000)
    await store.save("resp_a", "", big("a"), "m")
    await store.save("resp_b", "", big("b"), "m")
    await store.save("resp_c", "", big("c"), "m")
    assert await store.load("resp_a", "") is None, "oldest evicted to stay under the byte cap"
    assert await store.load("resp_c", "") is not None
    assert store._bytes <= 25_000
