"""Backends for tests of what a backend declares, not of what it answers."""

from __future__ import annotations

from typing import Any

from modelgate.providers.base import BackendDefaults, CallContext, Target


class RpcLess(BackendDefaults):
    """The required RPCs, never called: a subclass adds only the abilities under test."""

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError

    async def stream_chat(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError
        yield

    async def count_tokens(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError
