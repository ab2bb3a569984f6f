"""Error reasons come from the contract's `ErrorReason`, and every error from one module.

Static checks over the server's source: `modelgate.errors.factories` is the only place
that builds a `GatewayError`, every reason it writes is a value of the enum, every
value of the enum (but UNSPECIFIED) is written by some factory, every factory is used,
and no module spells a reason as a bare string.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from modelgate.errors import UPSTREAM_CODES, GatewayError, factories, reason_name
from modelgate.v1.errors_pb2 import ErrorReason

SERVER = Path(factories.__file__).parents[1]
FACTORIES = Path(factories.__file__)
FACTORY_MODULES = (FACTORIES, FACTORIES.with_name("key_factories.py"))
CLASSIFIER = SERVER / "providers" / "upstream_errors.py"
ENUM_NAMES = set(ErrorReason.keys()) - {"ERROR_REASON_UNSPECIFIED"}
SHORT_NAMES = {name.removeprefix("ERROR_REASON_") for name in ENUM_NAMES}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _server_modules() -> list[Path]:
    return [p for p in SERVER.rglob("*.py") if "v1" not in p.relative_to(SERVER).parts]


def _reasons_named(tree: ast.AST) -> set[str]:
    """Every `ERROR_REASON_*` attribute the code refers to (`R.ERROR_REASON_X`)."""
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("ERROR_REASON_")
    }


def _called_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def _factory_names() -> set[str]:
    return {
        node.name
        for path in FACTORY_MODULES
        for node in _tree(path).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }


def test_only_the_factories_module_builds_gateway_errors() -> None:
    builders = [
        f"{path.relative_to(SERVER)}:{node.lineno}"
        for path in _server_modules()
        if path not in FACTORY_MODULES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "GatewayError"
    ]
    assert builders == [], "build errors with a factory in modelgate/errors/factories.py"


def test_every_reason_the_factories_write_is_in_the_enum() -> None:
    named = set().union(*(_reasons_named(_tree(path)) for path in FACTORY_MODULES))
    assert named - set(ErrorReason.keys()) == set()
    assert "ERROR_REASON_UNSPECIFIED" not in named


def test_every_enum_value_is_produced_by_a_factory() -> None:
    """A value no factory writes is a promise the contract makes and the gateway breaks."""
    named = set().union(*(_reasons_named(_tree(path)) for path in FACTORY_MODULES))
    assert ENUM_NAMES - named == set()


def test_every_factory_is_used_by_the_server() -> None:
    """A factory nothing calls produces nothing: its reason would be listed but never sent."""
    calls: set[str] = set()
    for path in _server_modules():
        if path.parent != FACTORIES.parent:
            calls |= _called_names(_tree(path))
    assert _factory_names() - calls == set()


def test_every_upstream_reason_is_reachable_from_the_classifier() -> None:
    """`upstream_failure` writes the reason the classifier picked: each one it accepts must be
    one the classifier can pick."""
    accepted = {ErrorReason.Name(reason) for reason in UPSTREAM_CODES}
    assert accepted - _reasons_named(_tree(CLASSIFIER)) == set()


def _spelled_reasons(path: Path) -> list[str]:
    """String constants (docstrings aside) that spell a reason, e.g. "RATE_LIMITED"."""
    tree = _tree(path)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        f"{path.relative_to(SERVER)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in docstrings
        and isinstance(node.value, str)
        and (node.value in SHORT_NAMES or node.value in ENUM_NAMES)
    ]


def test_no_module_spells_a_reason_as_a_string() -> None:
    assert [hit for path in _server_modules() for hit in _spelled_reasons(path)] == []


def test_the_wire_carries_the_value_name_without_its_prefix() -> None:
    trailers = dict(factories.internal().to_status().trailing_metadata)
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "INTERNAL" == reason_name(ErrorReason.ERROR_REASON_INTERNAL)


def test_a_reason_outside_the_enum_cannot_be_built() -> None:
    with pytest.raises(KeyError):
        GatewayError(grpc.StatusCode.INTERNAL, 10_000, "no such reason")  # type: ignore[arg-type]
