"""Building the OpenAI backend's media ability for a fake, and driving its calls."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

from modelgate.config import RuntimeConfig
from modelgate.providers.base import CallContext, MediaBackend, Target
from modelgate.providers.openai.backend import OpenAIBackend, create
from modelgate.v1 import audio_pb2, model_pb2
from tests.fakes import FakeOpenAI
from tests.waiting import GENEROUS_S

T = TypeVar("T")
MiB = 1 << 20


class Media:
    """The backend and its media ability."""

    def __init__(self, backend: OpenAIBackend) -> None:
        self.backend = backend
        ability = backend.media()
        assert ability is not None
        self.ability: MediaBackend = ability


@contextlib.asynccontextmanager
async def media_backend(fake: FakeOpenAI, **config: Any) -> AsyncIterator[Media]:
    """An OpenAI runtime pointed at `fake` (`config`: more RuntimeConfig fields)."""
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key="k", **config)
    backend = create("openai", runtime)
    assert isinstance(backend, OpenAIBackend)
    try:
        yield Media(backend)
    finally:
        await backend.aclose()


def target(model: str, *, allow_private_urls: bool = False) -> Target:
    """A catalog model served under its own name."""
    return Target(
        record=model_pb2.Model(id=model),
        upstream_name=model,
        allow_private_urls=allow_private_urls,
    )


def call(seconds: float = GENEROUS_S) -> CallContext:
    """A caller with a deadline (a hang guard, never what decides a test)."""
    return CallContext(deadline=time.monotonic() + seconds)


async def collect(events: AsyncIterator[T]) -> list[T]:
    """Every event of a stream."""
    return [event async for event in events]


async def chunks_of(data: bytes, size: int = MiB) -> AsyncIterator[bytes]:
    """`data` as an upload of `size`-byte chunks."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def config(
    model: str, filename: str = "speech.wav", **fields: Any
) -> audio_pb2.TranscriptionConfig:
    """A TranscriptionConfig for `model`."""
    return audio_pb2.TranscriptionConfig(model=model, filename=filename, **fields)


def joined(pieces: Iterable[bytes]) -> bytes:
    return b"".join(pieces)
