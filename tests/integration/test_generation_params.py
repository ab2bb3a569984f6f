"""No silent parameter loss: every GenerationConfig field, on every backend kind and every RPC
that carries one, either reaches the upstream body under the provider's name for it or the
call is refused with INVALID_ARGUMENT naming it, before any upstream call.

The bodies are the ones the fakes recorded; where a field lands is each backend's own
declaration (`generation_params`), and `test_what_each_upstream_api_takes` pins those
declarations to what the providers document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate.providers.params import FIELDS, UpstreamParams
from modelgate.v1 import generation_pb2
from tests.gateways import Served, serve
from tests.integration.params_gateway import RPCS, Upstreams, call, params_settings, upstreams
from tests.rpc_helpers import decode

SAMPLES: dict[str, Any] = {
    "temperature": 0.5,
    "top_p": 0.9,
    "top_k": 40,
    "max_output_tokens": 64,
    "stop_sequences": ["END"],
    "presence_penalty": 0.25,
    "frequency_penalty": -0.25,
    "seed": 7,
    "extra": {"service_tier": "auto"},
    "extra_json": '{"service_tier": "auto"}',
}
"""One value per field; a field the proto gains must get one here (see the first test)."""

MODELS = ("gpt", "gpt-mct", "gpt-responses", "vllm", "lms", "claude", "llama", "echo")
"""OpenAI Chat Completions (also with `max_completion_tokens`), OpenAI Responses,
OpenAI-compatible, LM Studio, Anthropic, Ollama and the built-in echo."""

REFUSED: dict[tuple[str, str], set[str]] = {
    ("gpt", "chat"): {"top_k"},
    ("gpt", "complete"): {"top_k"},
    ("gpt-mct", "chat"): {"top_k"},
    ("gpt-mct", "complete"): {"top_k"},
    ("gpt-responses", "chat"): {
        "top_k",
        "stop_sequences",
        "presence_penalty",
        "frequency_penalty",
        "seed",
    },
    ("gpt-responses", "complete"): {"top_k"},  # Complete goes to /v1/completions
    ("claude", "chat"): {"presence_penalty", "frequency_penalty", "seed"},
    ("claude", "complete"): {"presence_penalty", "frequency_penalty", "seed"},
}
"""What each provider's API reference lacks (every other pair takes every field): OpenAI
has no top_k, `responses.create` no stop, penalties or seed, Anthropic no penalties or seed.
OpenAI-compatible servers (vLLM, llama.cpp, LM Studio) take top_k; Ollama's options have all."""


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[Upstreams]:
    async with upstreams() as running:
        yield running


@pytest.fixture(scope="module")
async def served(fakes: Upstreams) -> AsyncIterator[Served]:
    config = params_settings(fakes)
    config.echo = True
    async with serve(config) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fakes: Upstreams) -> None:
    fakes.reset()


def generation_with(name: str) -> generation_pb2.GenerationConfig:
    """A GenerationConfig with only `name` set, to its sample value."""
    generation = generation_pb2.GenerationConfig()
    value = SAMPLES[name]
    if name == "extra":
        generation.extra.update(value)
    elif name == "stop_sequences":
        generation.stop_sequences.extend(value)
    else:
        setattr(generation, name, value)
    return generation


def declared(served: Served, model_id: str, rpc: str) -> UpstreamParams:
    """The deployment's declaration for the RPC, as the running gateway computed it."""
    gate = served.gateway.catalog.resolve(model_id).params
    return gate.chat if "Chat" in rpc else gate.complete


def assert_in_body(body: dict[str, Any], name: str, path: str) -> None:
    """The sample of `name` is in `body` at `path` (`extra` is merged at the top level)."""
    if name in ("extra", "extra_json"):
        assert body["service_tier"] == "auto", body
        return
    value: Any = body
    for key in path.split("."):
        assert key in value, f"{path} missing from {body}"
        value = value[key]
    expected = SAMPLES[name]
    assert value == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_every_field_has_a_sample() -> None:
    assert set(SAMPLES) == set(FIELDS)


def test_what_each_upstream_api_takes(served: Served) -> None:
    for model_id in MODELS:
        gate = served.gateway.catalog.resolve(model_id).params
        for operation, params in (("chat", gate.chat), ("complete", gate.complete)):
            assert params.refused == REFUSED.get((model_id, operation), set()), (
                model_id,
                operation,
            )


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("rpc", RPCS)
@pytest.mark.parametrize("model_id", MODELS)
async def test_a_set_field_reaches_the_upstream_or_is_refused(
    served: Served, fakes: Upstreams, model_id: str, rpc: str, name: str
) -> None:
    params = declared(served, model_id, rpc)
    if name in params.refused:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(served, rpc, model_id, generation_with(name))
        status = decode(caught.value)
        assert status.code == grpc.StatusCode.INVALID_ARGUMENT
        assert status.reason == "INVALID_REQUEST"
        assert [field for field, _ in status.violations] == [f"generation.{name}"]
        assert repr(model_id) in status.message and params.api in status.message
        assert fakes.posted() == []  # refused before any upstream call
        return
    answered_by, metadata, _ = await call(served, rpc, model_id, generation_with(name))
    assert answered_by == model_id and "dropped_params" not in metadata
    if model_id == "echo":
        return  # no upstream: taking the field is all echo can show
    [sent] = fakes.posted()
    assert sent.json["model"] == served.gateway.catalog.resolve(model_id).target.upstream_name
    assert_in_body(sent.json, name, params.sends[name])
