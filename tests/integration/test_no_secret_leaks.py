"""Secrets never leave the gateway: a canary in every place a secret can be configured.

Each place holds its own canary (a provider key from an env var and one from the
config file, an Azure-style `api-key` header, a header marked secret, a bearer
header of a plugin, a password in an upstream URL, the Redis password, a caller's
API key). Upstreams for every backend kind echo all of them in every error shape
they have (400, 401 and 500 bodies, a mid-stream error event, an oversized line
that starts with one) and a plugin puts its token in an error, an exception, a
metric label and its constructor's failure. Then statuses (message and every
detail), the log lines the real handlers wrote at DEBUG, every exported span (a
loopback OTLP collector, prompts and answers captured) and the /metrics text must
not contain a single canary.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
import redis
from prometheus_client import generate_latest
from typing_extensions import override

from modelgate.api.auth import Authenticator
from modelgate.config import (
    ApiKeyConfig,
    AuthConfig,
    ModelConfig,
    RoutingConfig,
    RuntimeConfig,
    StateConfig,
    TelemetryConfig,
)
from modelgate.errors import GatewayError
from modelgate.providers.base import Backend, BackendDefaults, CallContext, Target
from modelgate.providers.registry import register_provider
from modelgate.telemetry.logs import configure_logging
from modelgate.v1 import chat_pb2, completion_pb2, model_pb2, tokens_pb2
from modelgate.v1.errors_pb2 import ErrorReason
from tests.collector import otlp_collector
from tests.fakes import FakeAnthropic, FakeOllama, FakeOpenAI, FakeServer, Fault
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request
from tests.state.conftest import _redis_missing, _start_redis, _stop

ENV_KEY = "canary-env-key-5d1f0a9e77"  # OpenAI key, from the env var named by api_key_env
CONFIG_KEY = "canary-config-key-3b8e42c1"  # Anthropic key, `api_key` in the config file
AZURE_HEADER = "canary-azure-header-9c04e6"  # `api-key` header of an OpenAI-compatible runtime
MARKED_HEADER = "canary-marked-header-a7e3"  # a header named in `secret_headers`
URL_PASSWORD = "canary-url-password-61fd"  # user:pass@ in an Ollama base URL
PLUGIN_TOKEN = "canary-plugin-token-0e2b9d"  # `authorization: Bearer ...` of a plugin runtime
BROKEN_PLUGIN_KEY = "canary-broken-plugin-44aa"  # a plugin whose constructor fails
CALLER_KEY = "canary-caller-key-8f6b1d"  # a caller's API key (the config holds its SHA-256)
UNKNOWN_CALLER_KEY = "canary-unknown-caller-2c7e"  # a key no one configured
REDIS_PASSWORD = "canary-redis-password-b3c9"  # redis://:...@ in state.url
ENV_VAR = "MG_CANARY_OPENAI_KEY"
BASE_CANARIES = (
    ENV_KEY,
    CONFIG_KEY,
    AZURE_HEADER,
    MARKED_HEADER,
    URL_PASSWORD,
    PLUGIN_TOKEN,
    BROKEN_PLUGIN_KEY,
    CALLER_KEY,
    UNKNOWN_CALLER_KEY,
)
OVERSIZED = (1 << 20) + 1024
"""Longer than the longest upstream line the gateway reads (`providers.http.MAX_LINE_BYTES`)."""


class LeakyPlugin(BackendDefaults):
    """A third-party backend that puts its token everywhere it can."""

    def __init__(self, name: str, config: RuntimeConfig) -> None:
        self.runtime = name
        self.token = config.headers["authorization"].removeprefix("Bearer ")

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        raise GatewayError(
            grpc.StatusCode.INVALID_ARGUMENT,
            ErrorReason.ERROR_REASON_UPSTREAM_BAD_REQUEST,
            f"upstream refused token {self.token}",
            domain="leaky",
            metadata={"token": self.token},
            violations=[("messages", f"rejected by {self.token}")],
            quota_violations=[(f"token:{self.token}", "spent")],
        )

    async def stream_chat(self, target: Target, request: Any, call: CallContext) -> Any:
        raise RuntimeError(f"plugin crashed holding {self.token}")
        yield

    @override
    async def complete(self, target: Target, request: Any, call: CallContext) -> Any:
        return completion_pb2.CompleteResponse(
            model=target.id, provider=f"leaky {self.token}", runtime=self.runtime, text="ok"
        )

    async def count_tokens(self, target: Target, request: Any, call: CallContext) -> Any:
        return tokens_pb2.CountTokensResponse(input_tokens=1)


def _leaky(name: str, config: RuntimeConfig) -> Backend:
    return LeakyPlugin(name, config)


def _broken(name: str, config: RuntimeConfig) -> Backend:
    raise RuntimeError(f"cannot log in with {config.resolved_api_key()}")


@dataclass
class Upstreams:
    """The fakes, by runtime name, and the canary each one's runtime holds."""

    fakes: dict[str, FakeServer]
    own_canary: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    async with (
        FakeOpenAI() as openai,
        FakeAnthropic() as anthropic,
        FakeOpenAI() as azure,
        FakeOllama(strict_models=False) as ollama,
    ):
        yield Upstreams(
            {"oa": openai, "an": anthropic, "az": azure, "ol": ollama},
            {"oa": ENV_KEY, "an": CONFIG_KEY, "az": AZURE_HEADER, "ol": URL_PASSWORD},
        )


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """The gateway's own log configuration at DEBUG, its handler writing into a buffer;
    the previous configuration is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("DEBUG", "json")
    written = io.StringIO()
    for handler in root.handlers:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(written)
    try:
        yield written
    finally:
        root.handlers[:], root.level = handlers, level


@pytest.fixture(scope="module")
def protected_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server that wants REDIS_PASSWORD; the state URL that carries it."""
    binary = shutil.which("redis-server")
    if binary is None:
        _redis_missing()  # skips on a dev machine, fails in CI
    assert binary is not None
    proc, port = _start_redis(binary, tmp_path_factory.mktemp("redis"))
    try:
        with redis.Redis(host="127.0.0.1", port=port) as client:
            client.config_set("requirepass", REDIS_PASSWORD)
        yield f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"
    finally:
        _stop(proc)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _config(up: Upstreams, state_url: str | None) -> Any:
    fakes = up.fakes
    ollama_url = fakes["ol"].url.replace("http://", f"http://gateway:{URL_PASSWORD}@")
    runtimes = {
        "oa": RuntimeConfig(kind="openai", base_url=fakes["oa"].url + "/v1", api_key_env=ENV_VAR),
        "an": RuntimeConfig(
            kind="anthropic",
            base_url=fakes["an"].url,
            api_key=CONFIG_KEY,
            headers={"x-tenant": MARKED_HEADER},
            secret_headers=["x-tenant"],
        ),
        "az": RuntimeConfig(
            kind="openai_compatible",
            base_url=fakes["az"].url + "/v1",
            headers={"api-key": AZURE_HEADER},
        ),
        "ol": RuntimeConfig(kind="ollama", base_url=ollama_url),
        "px": RuntimeConfig(kind="leaky", headers={"authorization": f"Bearer {PLUGIN_TOKEN}"}),
        "broken": RuntimeConfig(kind="broken", api_key=BROKEN_PLUGIN_KEY),
    }
    models = [
        ModelConfig(id="m-oa", runtime="oa", upstream_name="gpt-4o"),
        ModelConfig(id="m-an", runtime="an", upstream_name="claude-sonnet-4-5"),
        ModelConfig(id="m-az", runtime="az", upstream_name="gpt-4o"),
        ModelConfig(id="m-ol", runtime="ol", upstream_name="llama3.2:latest"),
        ModelConfig(id="m-px", runtime="px", capabilities=["chat", "completion", "streaming"]),
        ModelConfig(id="m-broken", runtime="broken"),
    ]
    return settings(
        runtimes=runtimes,
        models=models,
        routing=RoutingConfig(max_attempts_per_deployment=1, max_attempts=1),
        auth=AuthConfig(
            enabled=True,
            keys=[
                ApiKeyConfig(id="caller", sha256=hashlib.sha256(CALLER_KEY.encode()).hexdigest())
            ],
        ),
        telemetry=TelemetryConfig(tracing="otlp", capture_content=True, metrics=True),
        state=StateConfig(url=state_url),
    )


class Statuses:
    """Every failed call's status: message, debug string and raw trailers (all details)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def expect_failure(self, call: Any) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            result = call()
            if hasattr(result, "__aiter__"):
                async for _ in result:
                    pass
            else:
                await result
        error = caught.value
        self.texts.append(error.details() or "")
        self.texts.append(error.debug_error_string() or "")
        for key, value in error.trailing_metadata() or ():
            raw = value if isinstance(value, bytes) else value.encode()
            self.texts.append(f"{key}: {raw.decode('utf-8', 'replace')}")


async def _every_error_shape(running: Served, up: Upstreams, leak: str) -> Statuses:
    stub, statuses = running.stub, Statuses()
    auth = (("authorization", f"Bearer {CALLER_KEY}"),)

    def chat(model: str, text: str = "hi") -> Any:
        return stub.Chat(chat_request(model, text), metadata=auth, timeout=20)

    def stream(model: str) -> Any:
        request = chat_pb2.StreamChatRequest(
            model=model, messages=chat_request(model, "hi").messages
        )
        return stub.StreamChat(request, metadata=auth, timeout=20)

    for runtime, fake in up.fakes.items():
        model = f"m-{runtime}"
        for status in (400, 401, 500):
            fake.script(Fault.http(status, leak))
            await statuses.expect_failure(lambda m=model: chat(m))
        fake.script(Fault.stream_error(after_chunks=1, message=leak))
        await statuses.expect_failure(lambda m=model: stream(m))
        line = up.own_canary[runtime] + " " + "x" * OVERSIZED
        fake.script(Fault.http(200, body=line))
        await statuses.expect_failure(lambda m=model: stream(m))
        await chat(model, f"please keep these safe: {leak}")  # captured on the spans
    await statuses.expect_failure(lambda: chat("m-px"))
    await statuses.expect_failure(lambda: stream("m-px"))
    await stub.Complete(
        completion_pb2.CompleteRequest(model="m-px", prompt="hi"), metadata=auth, timeout=20
    )
    await statuses.expect_failure(lambda: chat("m-broken"))
    await statuses.expect_failure(
        lambda: stub.Chat(
            chat_request("m-oa", "hi"),
            metadata=(("authorization", f"Bearer {UNKNOWN_CALLER_KEY}"),),
            timeout=20,
        )
    )
    listed = await stub.ListModels(model_pb2.ListModelsRequest(), metadata=auth, timeout=20)
    statuses.texts.append(str(listed))
    return statuses


async def _scan(
    up: Upstreams,
    logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    *,
    state_url: str | None,
    canaries: tuple[str, ...],
) -> None:
    register_provider("leaky", _leaky)
    register_provider("broken", _broken)
    monkeypatch.setenv(ENV_VAR, ENV_KEY)
    held = [canary for canary in canaries if canary != UNKNOWN_CALLER_KEY]  # only sent, never held
    leak = "your request echoed back: " + " ".join(held)
    async with otlp_collector(monkeypatch) as spans, serve(_config(up, state_url)) as running:
        statuses = await _every_error_shape(running, up, leak)
        assert running.gateway.metrics is not None
        metrics = generate_latest(running.gateway.metrics.scrape).decode()
        assert running.gateway.tracer_provider is not None
        assert await asyncio.to_thread(running.gateway.tracer_provider.force_flush)
    places = {
        "status": "\n".join(statuses.texts),
        "log": logs.getvalue(),
        "span": "\n".join(str(span) for span in spans),
        "metric": metrics,
    }
    leaks = [
        f"{canary} in {where}"
        for canary in canaries
        for where, text in places.items()
        if canary in text
    ]
    assert leaks == []
    assert "gen_ai.output.messages" in places["span"], "content capture is on: answers are recorded"
    assert "unhandled error" in places["log"], "the plugin's exception was logged"
    # The plugin names itself "leaky <token>", but who served is the router's to say (from
    # the catalog record), so the label is scraped without the plugin's text.
    assert 'provider="leaky"' in metrics, "the plugin's answer is scraped under the catalog's name"


async def test_no_secret_leaves_through_statuses_logs_spans_or_metrics(
    upstreams: Upstreams,
    debug_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _scan(upstreams, debug_logs, monkeypatch, state_url=None, canaries=BASE_CANARIES)


@pytest.mark.redis
async def test_the_redis_password_never_leaves_either(
    upstreams: Upstreams,
    debug_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    protected_redis: str,
) -> None:
    canaries = (*BASE_CANARIES, REDIS_PASSWORD)
    await _scan(upstreams, debug_logs, monkeypatch, state_url=protected_redis, canaries=canaries)


def test_a_secret_too_short_to_redact_refuses_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "sk-1234")
    cases = {
        "runtimes.oa.api_key_env (MG_CANARY_OPENAI_KEY)": RuntimeConfig(
            kind="openai", api_key_env=ENV_VAR
        ),
        "runtimes.oa.api_key": RuntimeConfig(kind="openai", api_key="sk-4321"),
        "runtimes.oa.headers.api-key": RuntimeConfig(
            kind="openai_compatible", headers={"api-key": "az-9876"}
        ),
        "runtimes.oa.headers.authorization": RuntimeConfig(
            kind="openai_compatible", headers={"authorization": "Bearer tok-321"}
        ),
        "runtimes.oa.headers.x-tenant": RuntimeConfig(
            kind="openai", headers={"x-tenant": "t-98765"}, secret_headers=["x-tenant"]
        ),
        "runtimes.oa.base_url (password)": RuntimeConfig(
            kind="ollama", base_url="http://me:pw-5678@127.0.0.1:11434"
        ),
    }
    for setting, runtime in cases.items():
        with pytest.raises(ValueError, match="shorter than 8 characters") as caught:
            settings(runtimes={"oa": runtime})
        assert setting in str(caught.value)
        for short in ("sk-1234", "sk-4321", "az-9876", "tok-321", "t-98765", "pw-5678"):
            assert short not in str(caught.value), "the error names the setting, not the value"
    with pytest.raises(ValueError, match=r"state\.url \(password\)"):
        settings(state=StateConfig(url="redis://:pw-5678@127.0.0.1:6379/0"))


def test_a_marked_header_must_exist() -> None:
    with pytest.raises(ValueError, match="secret_headers names headers not in headers"):
        settings(runtimes={"oa": RuntimeConfig(kind="openai", secret_headers=["x-tenant"])})


async def test_a_caller_key_too_short_to_redact_is_turned_away() -> None:
    short = "abc1234"
    digest = hashlib.sha256(short.encode()).hexdigest()
    authenticator = Authenticator(
        AuthConfig(enabled=True, keys=[ApiKeyConfig(id="tiny", sha256=digest)])
    )
    with pytest.raises(GatewayError) as caught:
        await authenticator.identify([("authorization", f"Bearer {short}")])
    assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED
    assert "'tiny' is shorter than 8 characters" in caught.value.message
