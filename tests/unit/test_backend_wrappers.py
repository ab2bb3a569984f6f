"""Every wrapper around a backend forwards every ability accessor the protocol declares.

The accessors are the ones `BackendAbilities` declares (`ability_accessors()`), so a new
accessor is covered here without editing a list; a new wrapper (a class in the server
whose constructor takes the `Backend` it wraps) fails the first test until it is added.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import NoOpTracer
from prometheus_client import CollectorRegistry
from typing_extensions import override

from modelgate.providers.base import (
    Backend,
    BackendDefaults,
    MediaBackend,
    ModelDescriber,
    ModelManager,
    Target,
    TokenCounter,
    ability_accessors,
)
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.providers.registry import WithoutAbilities
from modelgate.telemetry.genai_metrics import GenAiMetrics
from modelgate.telemetry.media_tracing import TracedMedia
from modelgate.telemetry.metering import MeteredBackend
from modelgate.telemetry.tracing import InstrumentedBackend
from modelgate.v1 import model_pb2
from tests.unit.stand_in_backends import RpcLess

SERVER = Path(__file__).resolve().parents[2] / "server" / "modelgate"
TARGET = Target(record=model_pb2.Model(id="m"), upstream_name="m")
FORWARDING: dict[str, Callable[[Backend], Backend]] = {
    "InstrumentedBackend": lambda inner: InstrumentedBackend(inner, NoOpTracer(), 0),
    "MeteredBackend": lambda inner: MeteredBackend(inner, GenAiMetrics(CollectorRegistry())),
}
"""Wrappers that must answer exactly what the wrapped backend answers."""
WRAPPING: dict[tuple[str, str], type[object]] = {("InstrumentedBackend", "media"): TracedMedia}
"""Abilities a wrapper hands out inside one of its own: the tracing wrapper's media ability
makes each upstream attempt a span."""
WITHHOLDING: dict[str, Callable[[Backend], Backend]] = {"WithoutAbilities": WithoutAbilities}
"""The adapter for plugins that lack the accessors: it declares no ability, by design."""


class Declaring(RpcLess):
    """Declares every ability, each answered by an object of its own."""

    def __init__(self) -> None:
        self.runtime = "declaring"
        self.answers: dict[str, Any] = {name: object() for name in ability_accessors()}

    @override
    def model_manager(self) -> ModelManager | None:
        return self.answers["model_manager"]  # type: ignore[no-any-return]

    @override
    def model_describer(self) -> ModelDescriber | None:
        return self.answers["model_describer"]  # type: ignore[no-any-return]

    @override
    def token_counter(self) -> TokenCounter | None:
        return self.answers["token_counter"]  # type: ignore[no-any-return]

    @override
    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams | None:
        return self.answers["generation_params"]  # type: ignore[no-any-return]

    @override
    def media(self) -> MediaBackend | None:
        return self.answers["media"]  # type: ignore[no-any-return]


def _ask(backend: Backend, accessor: str) -> object:
    method = getattr(backend, accessor)
    return method(TARGET, "chat") if accessor == "generation_params" else method()


def _backend_wrappers() -> set[str]:
    """Classes in the server whose constructor takes a `Backend`: the wrappers."""
    found = set()
    for path in SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    annotations = [
                        ast.unparse(a.annotation) for a in item.args.args if a.annotation
                    ]
                    if "Backend" in annotations:
                        found.add(node.name)
    return found


def test_every_backend_wrapper_in_the_server_is_checked_here() -> None:
    assert _backend_wrappers() == set(FORWARDING) | set(WITHHOLDING)


def test_the_protocol_declares_the_accessors_the_defaults_answer() -> None:
    assert set(ability_accessors()) >= {"model_manager", "model_describer", "token_counter"}
    bare = BackendDefaults()
    assert all(_ask(bare, name) is None for name in ability_accessors())  # type: ignore[arg-type]


@pytest.mark.parametrize("wrapper", sorted(FORWARDING))
@pytest.mark.parametrize("accessor", ability_accessors())
def test_a_wrapper_forwards_the_accessor_explicitly(wrapper: str, accessor: str) -> None:
    inner = Declaring()
    wrapped = FORWARDING[wrapper](inner)
    assert accessor in vars(type(wrapped)), f"{wrapper} must define {accessor}() itself"
    answer = _ask(wrapped, accessor)
    own = WRAPPING.get((wrapper, accessor))
    if own is None:
        assert answer is inner.answers[accessor]
    else:
        assert isinstance(answer, own)
        assert vars(answer)["inner"] is inner.answers[accessor]


@pytest.mark.parametrize("wrapper", sorted(WITHHOLDING))
def test_the_adapter_for_old_plugins_declares_no_ability(wrapper: str) -> None:
    wrapped = WITHHOLDING[wrapper](Declaring())
    assert [_ask(wrapped, accessor) for accessor in ability_accessors()] == [None] * len(
        ability_accessors()
    )
