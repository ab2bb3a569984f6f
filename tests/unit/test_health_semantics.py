"""The health semantics are written once (`PHASES`); the docs and the probes follow them.

docs/operations.md shows `PHASES` as a table an operator reads, and the
Kubernetes Deployment's probes ask the services `PHASES` names: startup and
liveness `""`, readiness `modelgate.v1.ModelGateway`. The behaviour itself is
tested with real Check and Watch calls in tests/integration/test_drain.py.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from grpc_health.v1 import health_pb2

from modelgate.api.health import LIVENESS, PHASES, READINESS

ROOT = Path(__file__).resolve().parents[2]
HEADER = f'| phase | `""` | `{READINESS}` | new calls |'


def _docs_table() -> dict[str, dict[str, int]]:
    lines = (ROOT / "docs" / "operations.md").read_text().splitlines()
    start = lines.index(HEADER) + 2  # past the header and its rule
    table: dict[str, dict[str, int]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        phase, liveness, readiness, _calls = (cell.strip() for cell in line.strip("|").split("|"))
        table[phase] = {
            LIVENESS: health_pb2.HealthCheckResponse.ServingStatus.Value(liveness),
            READINESS: health_pb2.HealthCheckResponse.ServingStatus.Value(readiness),
        }
    return table


def test_the_operations_guide_shows_exactly_the_phases_the_code_reports() -> None:
    assert _docs_table() == PHASES


def test_the_kubernetes_probes_ask_liveness_and_readiness_as_the_code_names_them() -> None:
    manifest = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "deployment.yaml").read_text())
    (container,) = manifest["spec"]["template"]["spec"]["containers"]
    services = {
        probe: container[probe]["grpc"]["service"] for probe in container if "Probe" in probe
    }
    assert services == {
        "startupProbe": LIVENESS,
        "livenessProbe": LIVENESS,
        "readinessProbe": READINESS,
    }
