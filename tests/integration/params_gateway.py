"""A gateway with one model per backend kind and API, over the wire-faithful fakes.

Shared by the parameter-policy tests: each model's upstream name is its id, so a
recorded body says which deployment was called.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from modelgate.config import (
    AliasConfig,
    CapabilityName,
    DeploymentConfig,
    ModelConfig,
    RoutingConfig,
    RuntimeConfig,
    Settings,
)
from modelgate.v1 import chat_pb2, completion_pb2, generation_pb2
from tests.fakes import FakeAnthropic, FakeOllama, FakeOpenAI, RecordedRequest
from tests.gateways import Served
from tests.rpc_helpers import user

KEY = "sk-test-params-0123456789abcdef"
CAPS: list[CapabilityName] = ["chat", "completion", "streaming"]
RPCS = ("Chat", "StreamChat", "Complete", "StreamComplete")


@dataclass
class Upstreams:
    """The fake OpenAI (also OpenAI-compatible and LM Studio), Anthropic and Ollama."""

    openai: FakeOpenAI
    anthropic: FakeAnthropic
    ollama: FakeOllama

    def reset(self) -> None:
        """Forget scripts and recorded requests."""
        for fake in (self.openai, self.anthropic, self.ollama):
            fake.reset()

    def posted(self) -> list[RecordedRequest]:
        """Every generation request the gateway sent upstream since the last reset."""
        fakes = (self.openai, self.anthropic, self.ollama)
        return [r for fake in fakes for r in fake.requests if r.method == "POST"]


@contextlib.asynccontextmanager
async def upstreams() -> AsyncIterator[Upstreams]:
    """The three fakes on free loopback ports."""
    async with (
        FakeOpenAI(lmstudio=True) as openai,
        FakeAnthropic() as anthropic,
        FakeOllama() as ollama,
    ):
        yield Upstreams(openai, anthropic, ollama)


def runtimes(up: Upstreams) -> dict[str, RuntimeConfig]:
    """One runtime per backend kind, plus an OpenAI runtime that drops what it cannot take."""
    openai = up.openai.url + "/v1"
    return {
        "openai": RuntimeConfig(kind="openai", base_url=openai, api_key=KEY),
        "openai-drop": RuntimeConfig(
            kind="openai", base_url=openai, api_key=KEY, unsupported_params="drop"
        ),
        "vllm": RuntimeConfig(kind="openai_compatible", base_url=openai),
        "lmstudio": RuntimeConfig(kind="lmstudio", base_url=openai),
        "anthropic": RuntimeConfig(kind="anthropic", base_url=up.anthropic.url, api_key=KEY),
        "ollama": RuntimeConfig(kind="ollama", base_url=up.ollama.url),
    }


def model(model_id: str, runtime: str, **fields: Any) -> ModelConfig:
    """A chat-and-completion model whose upstream name is its id."""
    fields.setdefault("upstream_name", model_id)
    return ModelConfig(id=model_id, runtime=runtime, provider="test", capabilities=CAPS, **fields)


def params_settings(up: Upstreams) -> Settings:
    """Every backend kind and API, the drop policy, fallbacks and an alias."""
    models = [
        model("gpt", "openai"),
        model("gpt-responses", "openai", api="responses"),
        model("gpt-mct", "openai", options={"max_completion_tokens": True}),
        model("vllm", "vllm"),
        model("lms", "lmstudio"),
        model("claude", "anthropic"),
        model("llama", "ollama", upstream_name="llama3.2:latest"),
        model("gpt-drop", "openai-drop"),
        model("gpt-responses-drop", "openai-drop", api="responses"),
        model("gpt-then-vllm", "openai", fallbacks=["vllm"]),
        model("vllm-then-gpt", "vllm", fallbacks=["gpt"]),
    ]
    aliases = {
        "openai-family": AliasConfig(
            deployments=[DeploymentConfig(model="gpt"), DeploymentConfig(model="gpt-responses")]
        )
    }
    routing = RoutingConfig(
        max_attempts_per_deployment=1, backoff_initial_seconds=0.01, backoff_max_seconds=0.02
    )
    return Settings(  # type: ignore[call-arg]
        _env_file=None, runtimes=runtimes(up), models=models, aliases=aliases, routing=routing
    )


async def call(
    served: Served, rpc: str, model_id: str, generation: generation_pb2.GenerationConfig
) -> tuple[str, dict[str, str], Sequence[str]]:
    """(model that answered, answer metadata, models of the attempts) of one call of `rpc`."""
    stub = served.stub
    if rpc == "Chat":
        chat = await stub.Chat(
            chat_pb2.ChatRequest(model=model_id, messages=[user("hello")], generation=generation)
        )
        return chat.model, dict(chat.metadata), [chat.model]
    if rpc == "Complete":
        done = await stub.Complete(
            completion_pb2.CompleteRequest(model=model_id, prompt="hello", generation=generation)
        )
        return done.model, dict(done.metadata), [done.model]
    if rpc == "StreamChat":
        events: list[Any] = [
            e
            async for e in stub.StreamChat(
                chat_pb2.StreamChatRequest(
                    model=model_id, messages=[user("hello")], generation=generation
                )
            )
        ]
    else:
        events = [
            e
            async for e in stub.StreamComplete(
                completion_pb2.StreamCompleteRequest(
                    model=model_id, prompt="hello", generation=generation
                )
            )
        ]
    end = events[-1].end
    attempts = [e.attempt.model for e in events if e.HasField("attempt")]
    return end.model, dict(end.metadata), attempts
