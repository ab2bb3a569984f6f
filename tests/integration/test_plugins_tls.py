"""Third-party backends through register_provider(), ListModels filters, and TLS / mutual TLS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.config import ModelConfig, RuntimeConfig, ServerConfig
from modelgate.providers.base import Backend, BackendDefaults, CallContext, Target
from modelgate.providers.registry import register_provider
from modelgate.v1 import chat_pb2, content_pb2, gateway_pb2_grpc, model_pb2, tokens_pb2
from tests.gateways import serve, settings
from tests.pki import make_pki
from tests.rpc_helpers import chat_request, text_of
from tests.waiting import RPC_S


class ShoutingBackend(BackendDefaults):
    """A plugin backend: answers in capitals (what a third-party package would ship)."""

    def __init__(self, name: str, config: RuntimeConfig) -> None:
        self.runtime = name

    async def chat(self, target: Target, request: Any, call: CallContext) -> chat_pb2.ChatResponse:
        text = request.messages[-1].parts[0].text.upper()
        return chat_pb2.ChatResponse(
            model=target.id,
            provider=target.record.provider,
            runtime=self.runtime,
            content=[content_pb2.ContentPart(text=text)],
        )

    async def stream_chat(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError
        yield

    async def count_tokens(
        self, target: Target, request: Any, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        return tokens_pb2.CountTokensResponse(input_tokens=1)


def _create(name: str, config: RuntimeConfig) -> Backend:
    return ShoutingBackend(name, config)


async def test_a_registered_plugin_kind_serves_through_the_contract() -> None:
    register_provider("shouting", _create)
    config = settings(
        echo=True,
        runtimes={"loud": RuntimeConfig(kind="shouting")},
        models=[ModelConfig(id="loud-1", runtime="loud", provider="acme", capabilities=["chat"])],
    )
    async with serve(config) as running:
        assert text_of(await running.stub.Chat(chat_request("loud-1", "hello"))) == "HELLO"
        by_provider = await running.stub.ListModels(model_pb2.ListModelsRequest(provider="acme"))
        assert [m.id for m in by_provider.models] == ["loud-1"]
        by_runtime = await running.stub.ListModels(model_pb2.ListModelsRequest(runtime="loud"))
        assert [m.id for m in by_runtime.models] == ["loud-1"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def tls_gateway(pki: Path) -> AsyncIterator[Gateway]:
    server = ServerConfig(
        tls_cert_file=pki / "server.pem",
        tls_key_file=pki / "server.key",
        tls_client_ca_file=pki / "ca.pem",
    )
    gateway = Gateway(settings(echo=True, server=server))
    await gateway.start(host="127.0.0.1", port=0)
    yield gateway
    await gateway.stop(grace=0.5)


async def test_mutual_tls_accepts_a_client_certificate_and_refuses_plaintext(
    pki: Path, tls_gateway: Gateway
) -> None:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / "client.key").read_bytes(),
        certificate_chain=(pki / "client.pem").read_bytes(),
    )
    target = f"127.0.0.1:{tls_gateway.port}"
    async with grpc.aio.secure_channel(target, credentials) as channel:
        stub = gateway_pb2_grpc.ModelGatewayStub(channel)
        reply = await stub.Chat(chat_request("echo", "over tls"), timeout=RPC_S)
        assert text_of(reply) == "over tls"
    no_client_cert = grpc.ssl_channel_credentials(root_certificates=(pki / "ca.pem").read_bytes())
    async with grpc.aio.secure_channel(target, no_client_cert) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await gateway_pb2_grpc.ModelGatewayStub(channel).Chat(
                chat_request("echo", "x"), timeout=RPC_S
            )
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError):
            await gateway_pb2_grpc.ModelGatewayStub(channel).Chat(
                chat_request("echo", "x"), timeout=RPC_S
            )
