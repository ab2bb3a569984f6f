"""Client class names: `AsyncModelGate` / `ModelGate`, the old ones deprecated for one release."""

from __future__ import annotations

import warnings

import pytest

import modelgate.client
from modelgate.client import AsyncModelGate, ModelGate, ModelGateClient, SyncModelGateClient
from modelgate.client.aio import AsyncResponseStream, AsyncTextStream
from modelgate.client.sync import ResponseStream, TextStream

UNUSED_TARGET = "127.0.0.1:9"
"""Channels connect lazily: creating and closing a client here makes no connection."""


async def test_old_async_name_warns_and_makes_the_new_client() -> None:
    with pytest.warns(DeprecationWarning, match="renamed AsyncModelGate"):
        client = ModelGateClient(UNUSED_TARGET)
    assert isinstance(client, AsyncModelGate)
    await client.close()


def test_old_sync_name_warns_and_makes_the_new_client() -> None:
    with pytest.warns(DeprecationWarning, match="renamed ModelGate"):
        client = SyncModelGateClient(UNUSED_TARGET)
    assert isinstance(client, ModelGate)
    client.close()


async def test_new_names_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = AsyncModelGate(UNUSED_TARGET)
        await client.close()
        ModelGate(UNUSED_TARGET).close()


def test_package_exports_both_flavours() -> None:
    exported = set(modelgate.client.__all__)
    assert {"AsyncModelGate", "ModelGate", "ModelGateClient", "SyncModelGateClient"} <= exported
    assert modelgate.client.AsyncResponseStream is AsyncResponseStream
    assert modelgate.client.TextStream is TextStream
    assert not issubclass(ResponseStream, AsyncResponseStream)
    assert not issubclass(TextStream, AsyncTextStream)


def test_sync_client_refuses_a_close_grace_it_cannot_honour() -> None:
    client = ModelGate(UNUSED_TARGET)
    with pytest.raises(ValueError, match="cannot close gracefully"):
        client.close(grace=1.0)
    client.close()
