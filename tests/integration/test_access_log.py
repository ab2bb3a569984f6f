"""The access log through a real gateway: one JSON line per generating call, whatever its end.

Lines are written by the sink's thread, so each test waits (`eventually`) for the lines
it expects, then checks that no other line came. Callers authenticate with a key, so
every line can be checked for the key's id and for the absence of its secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from modelgate.config import AccessLogConfig, ApiKeyConfig, AuthConfig, ModelConfig
from modelgate.v1 import chat_pb2, completion_pb2, embedding_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request
from tests.waiting import RPC_S, eventually

SECRET = "sk-access-test-0123456789abcdef"
AUTH = [("authorization", f"Bearer {SECRET}")]
PROMPT = "tell nobody about the purple walrus"
ENDLESS = ModelConfig(
    id="echo-endless",
    runtime="echo",
    provider="modelgate",
    capabilities=["chat", "streaming"],
    options={"repeat_stream": True, "token_interval_ms": 20},
)


def _streamed(model: str, text: str) -> chat_pb2.StreamChatRequest:
    return chat_pb2.StreamChatRequest(model=model, messages=chat_request(model, text).messages)


def _settings(access: AccessLogConfig) -> Any:
    key = ApiKeyConfig(id="team-a", sha256=hashlib.sha256(SECRET.encode()).hexdigest())
    return settings(
        echo=True,
        models=[ENDLESS],
        auth=AuthConfig(enabled=True, keys=[key]),
        access_log=access,
    )


@pytest.fixture
async def logged(tmp_path: Path) -> AsyncIterator[tuple[Served, Path]]:
    path = tmp_path / "logs" / "access.log"
    async with serve(_settings(AccessLogConfig(file=path))) as running:
        yield running, path


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def _wait_lines(path: Path, count: int) -> list[dict[str, Any]]:
    await eventually(lambda: len(_lines(path)) >= count, what=f"{count} access lines")
    return _lines(path)


async def test_one_line_per_unary_and_streamed_call_with_what_served_it(
    logged: tuple[Served, Path],
) -> None:
    served, path = logged
    await served.stub.Chat(chat_request("echo", PROMPT), metadata=AUTH, timeout=RPC_S)
    events = [
        e
        async for e in served.stub.StreamChat(
            _streamed("echo", PROMPT), metadata=AUTH, timeout=RPC_S
        )
    ]
    await served.stub.Complete(
        completion_pb2.CompleteRequest(model="echo", prompt=PROMPT), metadata=AUTH, timeout=RPC_S
    )
    await served.stub.Embed(
        embedding_pb2.EmbedRequest(model="echo", inputs=[PROMPT]), metadata=AUTH, timeout=RPC_S
    )
    chat, stream, complete, embed = await _wait_lines(path, 4)
    assert [line["rpc"] for line in (chat, stream, complete, embed)] == [
        "Chat",
        "StreamChat",
        "Complete",
        "Embed",
    ]
    end = events[-1].end
    for line in (chat, stream, complete, embed):
        assert line["logger"] == "modelgate.access" and line["key_id"] == "team-a"
        assert line["status"] == "OK" and line["reason"] == ""
        assert (line["requested_model"], line["model"], line["runtime"]) == ("echo",) * 3
        assert line["attempts"] == 1 and line["cache_hit"] is False
        assert line["latency_ms"] > 0 and line["trace_id"] == ""
        assert line["time"].endswith("Z")
    assert stream["input_tokens"] == end.usage.input_tokens > 0
    assert stream["output_tokens"] == end.usage.output_tokens > 0
    assert 0 < stream["ttft_ms"] <= stream["latency_ms"]
    assert chat["ttft_ms"] is None, "unary calls have no first token"
    assert {"cached_input_tokens", "reasoning_tokens", "cost_usd"} <= chat.keys()
    text = path.read_text()
    assert SECRET not in text and "purple walrus" not in text, "no secret, no prompt"
    assert len(_lines(path)) == 4


async def test_failed_calls_are_logged_with_their_status_and_reason(
    logged: tuple[Served, Path],
) -> None:
    served, path = logged
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await served.stub.Chat(chat_request("no-such-model", PROMPT), metadata=AUTH)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await served.stub.Chat(chat_request("echo", PROMPT), timeout=RPC_S)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    not_found, refused = await _wait_lines(path, 2)
    assert (not_found["status"], not_found["reason"]) == ("NOT_FOUND", "MODEL_NOT_FOUND")
    assert not_found["requested_model"] == "no-such-model"
    assert not_found["key_id"] == "team-a" and not_found["model"] == ""
    assert (refused["status"], refused["key_id"]) == ("UNAUTHENTICATED", "")
    assert refused["reason"] == "API_KEY_INVALID"


async def test_a_cancelled_stream_is_logged_cancelled(logged: tuple[Served, Path]) -> None:
    served, path = logged
    call = served.stub.StreamChat(_streamed("echo-endless", PROMPT), metadata=AUTH)
    async for event in call:
        if event.HasField("text_delta"):
            break
    call.cancel()
    (line,) = await _wait_lines(path, 1)
    assert (line["rpc"], line["status"], line["key_id"]) == ("StreamChat", "CANCELLED", "team-a")
    assert line["ttft_ms"] is not None, "a token had left before the caller went"


async def test_sampling_to_zero_keeps_only_failures(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    async with serve(_settings(AccessLogConfig(file=path, sample_ratio=0.0))) as served:
        for _ in range(3):
            await served.stub.Chat(chat_request("echo", PROMPT), metadata=AUTH, timeout=RPC_S)
        with pytest.raises(grpc.aio.AioRpcError):
            await served.stub.Chat(chat_request("no-such-model", PROMPT), metadata=AUTH)
        (line,) = await _wait_lines(path, 1)
    assert line["status"] == "NOT_FOUND"
    assert len(_lines(path)) == 1, "the gateway flushed on stop: no OK line was sampled"


async def test_switched_off_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    async with serve(_settings(AccessLogConfig(enabled=False, file=path))) as served:
        await served.stub.Chat(chat_request("echo", PROMPT), metadata=AUTH, timeout=RPC_S)
        assert served.gateway.middleware is None, "nothing else on: no middleware at all"
    assert not path.exists()


async def test_on_by_default_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    async with serve(settings(echo=True)) as served:
        await served.stub.Chat(chat_request("echo", PROMPT), timeout=RPC_S)
        out: list[str] = []

        def written() -> bool:
            out.extend(capsys.readouterr().out.splitlines())
            return bool(out)

        await eventually(written, what="a line on stdout")
    (line,) = [json.loads(text) for text in out]
    assert (line["rpc"], line["status"], line["key_id"]) == ("Chat", "OK", "")


async def test_content_only_when_asked_and_redacted(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    access = AccessLogConfig(file=path, include_content=True)
    async with serve(_settings(access)) as served:
        quoting = f"{PROMPT}; my key is {SECRET}"
        await served.stub.Chat(chat_request("echo", quoting), metadata=AUTH, timeout=RPC_S)
        streamed = _streamed("echo", quoting)
        async for _ in served.stub.StreamChat(streamed, metadata=AUTH, timeout=RPC_S):
            pass
        unary, stream = await _wait_lines(path, 2)
    for line in (unary, stream):
        said = line["content"]["input"][0]["parts"][0]["content"]
        answered = line["content"]["output"][0]["parts"][0]["content"]
        assert "purple walrus" in said and "purple walrus" in answered
    assert SECRET not in path.read_text(), "content is redacted as spans are"
