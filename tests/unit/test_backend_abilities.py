"""Optional backend abilities are declared by accessors, so wrappers cannot hide them.

From Python 3.12 on, `isinstance` against a runtime-checkable Protocol looks
attributes up with `inspect.getattr_static`, which does not see through a
wrapper's `__getattr__`: with tracing on, the old `isinstance(backend,
ModelManager)` answered False and the management RPCs UNIMPLEMENTED. These
tests check abilities the way 3.12 would, on every built-in kind, bare and
wrapped, and scan the server for the old lookup patterns.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

import pytest
from opentelemetry.trace import NoOpTracer
from typing_extensions import override

from modelgate.config import RuntimeConfig
from modelgate.providers.base import (
    Backend,
    CallContext,
    ModelDescriber,
    ModelManager,
    Target,
    TokenCounter,
)
from modelgate.providers.ollama.backend import OllamaBackend
from modelgate.providers.registry import WithoutAbilities, create_backend, register_provider
from modelgate.telemetry.tracing import InstrumentedBackend
from modelgate.v1 import chat_pb2, content_pb2, model_pb2
from tests.unit.stand_in_backends import RpcLess

SERVER = Path(__file__).resolve().parents[2] / "server" / "modelgate"
ABILITIES: dict[str, type] = {
    "model_manager": ModelManager,
    "model_describer": ModelDescriber,
    "token_counter": TokenCounter,
}
DECLARED = {
    "echo": {"token_counter"},
    "openai": {"token_counter"},
    "openai_compatible": {"token_counter"},
    "lmstudio": {"model_manager", "token_counter"},
    "anthropic": set(),
    "ollama": {"model_manager", "model_describer"},
}
ALLOWED_LOOKUPS = {("providers/registry.py", "_lacks_accessors")}
"""The one getattr on a backend: the registry's check of a plugin's raw object, before wrapping."""


def protocol_members(protocol: type) -> set[str]:
    """The attributes `isinstance` checks for a runtime-checkable version of `protocol`."""
    names = set(inspect.get_annotations(protocol))
    for klass in protocol.__mro__:
        if klass is not object and klass is not Protocol and Protocol in klass.__mro__:
            names |= {name for name in vars(klass) if not name.startswith("_")}
    return names


def statically_implements(obj: object, protocol: type) -> bool:
    """`isinstance(obj, protocol)` as Python >= 3.12 decides it: by `inspect.getattr_static`."""
    for name in protocol_members(protocol):
        try:
            inspect.getattr_static(obj, name)
        except AttributeError:
            return False
    return True


def traced(backend: Backend) -> InstrumentedBackend:
    """The wrapper the gateway puts around every backend when tracing is on."""
    return InstrumentedBackend(backend, NoOpTracer(), capture=0)


@pytest.mark.parametrize("kind", sorted(DECLARED))
def test_every_kind_declares_its_abilities_and_tracing_forwards_them_statically(
    kind: str,
) -> None:
    backend = create_backend(f"{kind}-runtime", RuntimeConfig(kind=kind))
    wrapped = traced(backend)
    assert statically_implements(wrapped, Backend), "the wrapper is a Backend without __getattr__"
    declared = set()
    for accessor, protocol in ABILITIES.items():
        inspect.getattr_static(wrapped, accessor)  # on the class, not found via __getattr__
        bare = getattr(backend, accessor)()
        through = getattr(wrapped, accessor)()
        assert through is bare, f"{kind}: tracing changes what {accessor}() answers"
        if bare is not None:
            declared.add(accessor)
            assert statically_implements(through, protocol), f"{kind}: {accessor}() is partial"
    assert declared == DECLARED[kind]


def test_static_lookup_does_not_see_through_getattr_forwarding() -> None:
    """The old pattern, reproduced: what 3.12's isinstance sees, and what 3.11's saw."""

    class Forwarder:  # the old InstrumentedBackend's forwarding, nothing else
        def __init__(self, inner: OllamaBackend) -> None:
            self._inner = inner
            self.runtime = inner.runtime

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    @runtime_checkable
    class Checkable(ModelManager, Protocol):
        """A runtime-checkable copy (the real ModelManager no longer is)."""

    ollama = OllamaBackend("ollama", RuntimeConfig(kind="ollama"))
    forwarder = Forwarder(ollama)
    assert statically_implements(ollama, ModelManager)
    assert not statically_implements(forwarder, ModelManager)
    assert isinstance(ollama, Checkable)
    assert isinstance(forwarder, Checkable) is (sys.version_info < (3, 12))


# -- plugins ---------------------------------------------------------------------------------


class LegacyPlugin:
    """A third-party backend written before the accessors existed (no BackendDefaults)."""

    def __init__(self, name: str) -> None:
        self.runtime = name
        self.closed = False

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        return chat_pb2.ChatResponse(model=target.id, runtime=self.runtime)

    async def stream_chat(self, target: Target, request: Any, call: CallContext) -> Any:
        yield chat_pb2.StreamChatResponse()

    async def complete(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError

    async def stream_complete(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError
        yield

    async def embed(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError

    async def count_tokens(self, target: Target, request: Any, call: CallContext) -> Any:
        raise NotImplementedError

    async def discover(self) -> list[model_pb2.Model] | None:
        return [model_pb2.Model(id="legacy-1")]

    async def aclose(self) -> None:
        self.closed = True

    def local_token_count(self, target: Target, messages: Any) -> int:
        """Duck-typed ability of old: no longer picked up without token_counter()."""
        return 1


class ManagingPlugin(RpcLess):
    """A plugin that declares model management the documented way."""

    def __init__(self, name: str) -> None:
        self.runtime = name

    @override
    def model_manager(self) -> ModelManager | None:
        return cast(ModelManager, self)  # a stand-in: only identity is checked


async def test_a_plugin_without_accessors_serves_with_no_optional_abilities(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugin = LegacyPlugin("old")
    # cast: a legacy plugin does not satisfy today's Backend, which is what is tested here
    register_provider("legacy-abilities-test", lambda name, _: cast(Backend, plugin))
    with caplog.at_level(logging.WARNING, logger="modelgate.providers.registry"):
        backend = create_backend("old", RuntimeConfig(kind="legacy-abilities-test"))
    assert isinstance(backend, WithoutAbilities)
    assert "model_manager(), model_describer(), token_counter()" in caplog.text
    wrapped = traced(backend)
    for accessor in ABILITIES:
        assert getattr(wrapped, accessor)() is None
    target = Target(record=model_pb2.Model(id="legacy-1"), upstream_name="legacy-1")
    request = chat_pb2.ChatRequest(messages=[content_pb2.Message()])
    answer = await wrapped.chat(target, request, CallContext())
    assert (answer.model, answer.runtime) == ("legacy-1", "old")
    assert [m.id for m in await wrapped.discover() or []] == ["legacy-1"]
    await wrapped.aclose()
    assert plugin.closed


def test_a_plugin_declaring_an_ability_keeps_it_through_tracing() -> None:
    register_provider("managing-abilities-test", lambda name, _: ManagingPlugin(name))
    backend = create_backend("managed", RuntimeConfig(kind="managing-abilities-test"))
    assert isinstance(backend, ManagingPlugin)
    manager = backend.model_manager()
    assert manager is not None
    assert traced(backend).model_manager() is manager
    assert traced(backend).token_counter() is None


# -- no ability lookups by isinstance or getattr in the server ---------------------------------


def _server_trees() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SERVER.rglob("*.py")):
        yield path.relative_to(SERVER).as_posix(), ast.parse(path.read_text(), str(path))


def _protocol_names() -> set[str]:
    names = set()
    for _, tree in _server_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).endswith("Protocol") for base in node.bases
            ):
                names.add(node.name)
    return names


class _Finder(ast.NodeVisitor):
    """Ability lookups: isinstance against a Protocol, getattr/hasattr on a backend."""

    BACKENDISH = re.compile(r"backend|_inner", re.IGNORECASE)

    def __init__(self, path: str, protocols: set[str]) -> None:
        self.path = path
        self.protocols = protocols
        self.function = ""
        self.found: list[str] = []

    def _flag(self, node: ast.AST, text: str) -> None:
        if (self.path, self.function) not in ALLOWED_LOOKUPS:
            self.found.append(f"{self.path}:{getattr(node, 'lineno', 0)}: {text}")

    @override
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    @override
    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    @override
    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if any(alias.name == "runtime_checkable" for alias in node.names):
            self._flag(node, "imports runtime_checkable")

    @override
    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name == "isinstance" and len(node.args) == 2:
            kinds = node.args[1]
            classes = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
            if any(ast.unparse(c).split(".")[-1] in self.protocols for c in classes):
                self._flag(node, ast.unparse(node))
        if (
            name in ("getattr", "hasattr")
            and node.args
            and self.BACKENDISH.search(ast.unparse(node.args[0]))
        ):
            self._flag(node, ast.unparse(node))
        self.generic_visit(node)


def test_the_server_never_looks_abilities_up_by_isinstance_or_getattr() -> None:
    protocols = _protocol_names()
    assert {"Backend", "ModelManager", "ModelDescriber", "TokenCounter"} <= protocols
    found: list[str] = []
    for path, tree in _server_trees():
        finder = _Finder(path, protocols)
        finder.visit(tree)
        found.extend(finder.found)
    assert found == [], "\n".join(found)


def test_the_scan_catches_the_old_patterns() -> None:
    old = (
        "def get(deployment, backend):\n"
        "    if isinstance(deployment.backend, ModelDescriber): pass\n"
        "    counter = getattr(deployment.backend, 'local_token_count', None)\n"
        "    return hasattr(self._inner, 'pull')\n"
    )
    finder = _Finder("api/local_models.py", {"ModelDescriber"})
    finder.visit(ast.parse(old))
    assert [line.split(":")[1] for line in finder.found] == ["2", "3", "4"]
