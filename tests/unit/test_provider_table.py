"""The README's provider table is rendered from declarations, and the declarations are true.

Each kind's row claims RPCs, a tokenizer and model management; its backend must agree
(it overrides the RPC's method, answers `token_counter()` / `model_manager()`). Every
built-in kind has a row, so a new kind fails here until it declares one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelgate.config import RuntimeConfig
from modelgate.providers.base import BackendDefaults, Target
from modelgate.providers.openai.presets import PRESETS
from modelgate.providers.params import params_of
from modelgate.providers.provider_table import END, KINDS, START, render
from modelgate.providers.registry import builtin_kinds, create_backend
from modelgate.v1 import model_pb2

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_holds_the_rendered_table() -> None:
    text = README.read_text()
    assert START in text and END in text, f"README.md needs the block:\n{render()}"
    current = text[text.index(START) : text.index(END) + len(END)]
    assert current == render(), (
        "README.md is stale: uv run python -m modelgate.providers.provider_table --write README.md"
    )


def test_every_builtin_kind_has_a_row() -> None:
    assert list(KINDS) == list(builtin_kinds())


@pytest.mark.parametrize("kind", builtin_kinds())
def test_a_kinds_row_claims_what_its_backend_does(kind: str) -> None:
    backend = create_backend(kind, RuntimeConfig(kind=kind, base_url="http://127.0.0.1:9"))
    features = KINDS[kind]
    overrides = {
        name
        for name in ("complete", "embed")
        if getattr(type(backend), name) is not getattr(BackendDefaults, name)
    }
    assert ("Complete" in features.rpcs) == ("complete" in overrides)
    assert ("Embed" in features.rpcs) == ("embed" in overrides)
    assert bool(features.management) == (backend.model_manager() is not None)
    local = "tiktoken" in features.token_counting or "tokenizer" in features.token_counting
    assert local == (backend.token_counter() is not None)


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_endpoints_are_its_backends_declarations(name: str) -> None:
    preset = PRESETS[name]
    config = RuntimeConfig(
        kind="openai_compatible", preset=name, base_url="http://127.0.0.1:9", api_key="k" * 12
    )
    backend = create_backend(name, config)
    target = Target(record=model_pb2.Model(id="m"), upstream_name="m")
    for operation, declared in (("chat", preset.chat), ("complete", preset.complete)):
        sends = params_of(backend, target, operation).sends  # type: ignore[arg-type]
        assert bool(sends) == (declared is not None), operation
