"""Factory of the echo kind (kept apart so the registry imports it lazily like the others)."""

from __future__ import annotations

from modelgate.config import RuntimeConfig
from modelgate.providers.base import Backend
from modelgate.providers.echo import EchoBackend


def create(name: str, config: RuntimeConfig) -> Backend:
    """An echo runtime; `options.dimension` sets the embedding size."""
    return EchoBackend(runtime=name, dimension=int(config.options.get("dimension", 16)))
