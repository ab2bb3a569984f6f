"""The server's layer order holds: api -> routing -> providers -> http, with records, config,
errors and state below (the import-linter contracts in pyproject.toml).

A module the contracts do not name is not checked at all, so the second and third tests
make sure every server module is placed in a layer.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server" / "modelgate"
LINT_S = 180.0
"""Bound on one import-linter run (about 5 s idle; a saturated machine is slower)."""


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _named(layers: list[str]) -> set[str]:
    return {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}


def _modules(package: Path, prefix: str) -> set[str]:
    """Direct children of `package`: modules and subpackages, as dotted names."""
    found = set()
    for path in package.iterdir():
        if path.suffix == ".py" and path.name != "__init__.py":
            found.add(f"{prefix}{path.stem}")
        elif path.is_dir() and (path / "__init__.py").is_file():
            found.add(f"{prefix}{path.name}")
    return found


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=LINT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_server_module_has_a_layer() -> None:
    named = _named(_contracts()["server-layers"]["layers"])
    telemetry = _modules(SERVER / "telemetry", "modelgate.telemetry.")
    expected = (_modules(SERVER, "modelgate.") - {"modelgate.telemetry"}) | telemetry
    assert sorted(expected - named) == [], "add these modules to a layer in pyproject.toml"
    assert sorted(named - expected) == [], "these layers name modules that do not exist"


def test_every_provider_module_has_a_layer() -> None:
    named = _named(_contracts()["provider-layers"]["layers"])
    expected = _modules(SERVER / "providers", "")
    assert sorted(expected ^ named) == []
