"""Cross-checks of deploy/kubernetes that no schema can see (scripts/check-deploy, step 3).

kustomization.yaml lists every manifest, selectors match pod labels, every container is
hardened, and the gateway's ports, probes, drain timing, metrics port, config mount and
Secret keys agree with each other, with the Dockerfile and with kustomization's images.
Runs in the deploy linters' virtualenv (PyYAML, no modelgate). Prints each problem to
stderr and exits 1 if there is any.

Usage: python scripts/deploy_cross_checks.py <repository root>
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]
"""One Kubernetes object (or kustomization) as YAML loads it."""
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml")
GATEWAY = "modelgate"
GRPC_PORT = 50051
METRICS_PORT = 9464
PROBE_SERVICES: tuple[tuple[str, str | None], ...] = (
    ("startupProbe", None),
    ("readinessProbe", "modelgate.v1.ModelGateway"),
    ("livenessProbe", ""),
)
"""Each probe and the gRPC health service it must ask for (None: any)."""


def load(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def name(d: Doc) -> str:
    return f"{d['kind']}/{d['metadata']['name']}"


def matches(selector: Doc, labels: Doc) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@dataclass(frozen=True)
class Manifests:
    """Every manifest under deploy/kubernetes (templates included) and the kustomization."""

    kdir: Path
    files: list[Path]
    objs: list[tuple[Path, Doc]]
    kust: Doc

    @classmethod
    def read(cls, kdir: Path) -> Manifests:
        files = sorted(p for p in kdir.rglob("*.y*ml") if p.name not in KUSTOMIZATIONS)
        objs = [(p, d) for p in files for d in load(p)]
        kust = yaml.safe_load((kdir / "kustomization.yaml").read_text())
        return cls(kdir, files, objs, kust)

    def of_kind(self, kind: str) -> list[Doc]:
        return [d for _, d in self.objs if d["kind"] == kind]

    @property
    def templates(self) -> dict[str, Doc]:
        """Each Deployment's pod template, by Deployment name."""
        return {d["metadata"]["name"]: d["spec"]["template"] for d in self.of_kind("Deployment")}

    def selects_some_pod(self, selector: Doc) -> bool:
        labels = [t["metadata"]["labels"] for t in self.templates.values()]
        return bool(selector) and any(matches(selector, pod) for pod in labels)


def check_kustomization(m: Manifests) -> list[str]:
    """kustomization lists every manifest except templates, and nothing else."""
    errors: list[str] = []
    listed = set(m.kust.get("resources", []))
    for missing in sorted(listed):
        if not (m.kdir / missing).is_file():
            errors.append(f"kustomization lists missing file {missing}")
    for p in m.files:
        rel = str(p.relative_to(m.kdir))
        template = ".example." in p.name
        if template and rel in listed:
            errors.append(f"{rel} is a template and must not be in kustomization.yaml")
        if not template and rel not in listed:
            errors.append(f"{rel} is not listed in kustomization.yaml")
    return errors


def check_secrets(m: Manifests) -> list[str]:
    """Only example Secrets are committed, and their values are obvious placeholders."""
    errors: list[str] = []
    for p, d in m.objs:
        if d["kind"] == "Secret" and ".example." not in p.name:
            errors.append(f"{p.name}: Secrets with values do not belong in the repository")
        if d["kind"] == "Secret":
            for k, v in (d.get("stringData") or {}).items():
                if "PLACEHOLDER" not in str(v):
                    errors.append(f"{p.name}: {k} must be an obvious PLACEHOLDER")
    return errors


def check_container(where: str, c: Doc, psc: Doc) -> list[str]:
    """The hardening every container needs (psc: its pod's securityContext)."""
    errors: list[str] = []
    sc = c.get("securityContext", {})
    if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
        errors.append(f"{where}: runAsNonRoot")
    if sc.get("readOnlyRootFilesystem") is not True:
        errors.append(f"{where}: readOnlyRootFilesystem")
    if sc.get("allowPrivilegeEscalation") is not False:
        errors.append(f"{where}: allowPrivilegeEscalation false")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        errors.append(f"{where}: capabilities.drop ALL")
    seccomp = sc.get("seccompProfile") or psc.get("seccompProfile") or {}
    if seccomp.get("type") != "RuntimeDefault":
        errors.append(f"{where}: seccompProfile RuntimeDefault")
    res = c.get("resources", {})
    for part in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if r not in res.get(part, {}):
                errors.append(f"{where}: resources.{part}.{r}")
    if ":" not in c["image"] or c["image"].endswith(":latest"):
        errors.append(f"{where}: image needs an explicit, non-latest tag")
    return errors


def check_deployments(m: Manifests) -> list[str]:
    errors: list[str] = []
    for d in m.of_kind("Deployment"):
        t = d["spec"]["template"]
        if not matches(d["spec"]["selector"]["matchLabels"], t["metadata"]["labels"]):
            errors.append(f"{name(d)}: selector does not match its pod labels")
        pod = t["spec"]
        if pod.get("automountServiceAccountToken") is not False:
            errors.append(f"{name(d)}: automountServiceAccountToken must be false")
        psc = pod.get("securityContext", {})
        for c in pod["containers"]:
            errors += check_container(f"{name(d)} container {c['name']}", c, psc)
    return errors


def check_selectors(m: Manifests) -> list[str]:
    """Services, PDBs, NetworkPolicies and HPAs point at pods (and ports) that exist."""
    errors: list[str] = []
    templates = m.templates
    for d in m.of_kind("Service"):
        if not m.selects_some_pod(d["spec"].get("selector", {})):
            errors.append(f"{name(d)}: selector matches no pod template")
        for port in d["spec"]["ports"]:
            tp = port.get("targetPort", port["port"])
            ok = any(
                (cp.get("name") == tp if isinstance(tp, str) else cp["containerPort"] == tp)
                for t in templates.values()
                if matches(d["spec"]["selector"], t["metadata"]["labels"])
                for c in t["spec"]["containers"]
                for cp in c.get("ports", [])
            )
            if not ok:
                errors.append(
                    f"{name(d)}: targetPort {tp} is no container port of the selected pods"
                )
    for d in m.of_kind("PodDisruptionBudget"):
        if not m.selects_some_pod(d["spec"]["selector"].get("matchLabels", {})):
            errors.append(f"{name(d)}: selector matches no pod template")
    for d in m.of_kind("NetworkPolicy"):
        if not m.selects_some_pod(d["spec"]["podSelector"].get("matchLabels", {})):
            errors.append(f"{name(d)}: podSelector matches no pod template")
    for d in m.of_kind("HorizontalPodAutoscaler"):
        ref = d["spec"]["scaleTargetRef"]
        if ref["kind"] != "Deployment" or ref["name"] not in templates:
            errors.append(f"{name(d)}: scaleTargetRef {ref['kind']}/{ref['name']} not found")
    return errors


@dataclass(frozen=True)
class Gateway:
    """The gateway's pod template, its container, and the settings its environment gives."""

    pod: Doc
    container: Doc
    ports: dict[str, int]
    env: dict[str, Doc]
    cm_env: dict[str, str]
    config_maps: dict[str, Doc]

    def value(self, key: str, default: str) -> str:
        """A setting as the container sees it: its own env first, then envFrom ConfigMaps."""
        if key in self.env and "value" in self.env[key]:
            value: str = self.env[key]["value"]
            return value
        return self.cm_env.get(key, default)


def gateway(m: Manifests, template: Doc) -> tuple[Gateway, list[str]]:
    pod = template["spec"]
    c = next(c for c in pod["containers"] if c["name"] == GATEWAY)
    config_maps = {d["metadata"]["name"]: d for d in m.of_kind("ConfigMap")}
    errors: list[str] = []
    cm_env: dict[str, str] = {}
    for ref in c.get("envFrom", []):
        cm = config_maps.get(ref.get("configMapRef", {}).get("name"))
        if cm is None:
            errors.append(f"envFrom ConfigMap {ref} not found")
        else:
            cm_env.update(cm.get("data", {}))
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    env = {e["name"]: e for e in c.get("env", [])}
    return Gateway(pod, c, ports, env, cm_env, config_maps), errors


def check_ports_and_probes(g: Gateway) -> list[str]:
    errors: list[str] = []
    if g.ports.get("grpc") != GRPC_PORT or g.ports.get("metrics") != METRICS_PORT:
        errors.append(
            f"container ports must be grpc={GRPC_PORT}, metrics={METRICS_PORT}: {g.ports}"
        )
    for probe_name, service in PROBE_SERVICES:
        probe = g.container.get(probe_name, {}).get("grpc")
        if probe is None:
            errors.append(f"{probe_name} must be a native grpc probe")
            continue
        if probe["port"] != g.ports.get("grpc"):
            errors.append(f"{probe_name} port {probe['port']} is not the grpc port")
        if service is not None and probe.get("service", "") != service:
            errors.append(f"{probe_name} service must be {service!r}")
    return errors


def check_drain(g: Gateway) -> list[str]:
    """preStop sleeps (endpoints are removed first); the grace period covers it and the drain."""
    errors: list[str] = []
    grace = float(g.value("MODELGATE_SERVER__GRACE_SECONDS", "20"))
    pre_stop = g.container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre_stop:
        pre = float(pre_stop["sleep"]["seconds"])
    else:
        cmd = pre_stop.get("exec", {}).get("command", [])
        pre = float(cmd[-1]) if cmd and cmd[0].endswith("sleep") else 0.0
    if pre <= 0:
        errors.append("preStop must sleep so endpoints are removed before the drain")
    tgps = g.pod.get("terminationGracePeriodSeconds", 30)
    if not tgps > pre + grace:
        errors.append(
            f"terminationGracePeriodSeconds {tgps} must exceed preStop {pre} + grace {grace}"
        )
    return errors


def check_metrics_annotation(g: Gateway, template: Doc) -> list[str]:
    annotations = template["metadata"].get("annotations", {})
    metrics_port = g.value("MODELGATE_TELEMETRY__METRICS_PORT", "0")
    if not (annotations.get("prometheus.io/port") == str(g.ports.get("metrics")) == metrics_port):
        return [
            "prometheus.io/port, the metrics container port and "
            "MODELGATE_TELEMETRY__METRICS_PORT must agree"
        ]
    return []


def check_config_mount(g: Gateway) -> list[str]:
    """MODELGATE_CONFIG (and --config) name a ConfigMap key mounted into the container."""
    errors: list[str] = []
    cfg_path = g.value("MODELGATE_CONFIG", "")
    mounts = {v["name"]: v["mountPath"].rstrip("/") for v in g.container.get("volumeMounts", [])}
    found = False
    for vol in g.pod.get("volumes", []):
        cmv = vol.get("configMap")
        if not cmv or vol["name"] not in mounts:
            continue
        for item in cmv.get("items", []):
            if f"{mounts[vol['name']]}/{item['path']}" == cfg_path:
                found = (
                    cmv["name"] in g.config_maps
                    and item["key"] in g.config_maps[cmv["name"]]["data"]
                )
    if not found:
        errors.append(
            f"MODELGATE_CONFIG={cfg_path!r} is not a mounted key of a ConfigMap in the manifests"
        )
    args = g.container.get("args", [])
    if "--config" in args and args[args.index("--config") + 1] != cfg_path:
        errors.append(
            f"--config {args[args.index('--config') + 1]} differs from MODELGATE_CONFIG {cfg_path}"
        )
    return errors


def check_secret_refs(m: Manifests, g: Gateway) -> list[str]:
    """Secret references are optional, and name exactly the keys of the example Secret."""
    errors: list[str] = []
    secret_keys = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for e in g.env.values()
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    for e in g.env.values():
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None and ref.get("optional") is not True:
            errors.append(f"secretKeyRef {e['name']} must be optional")
    example = {k for s in m.of_kind("Secret") for k in (s.get("stringData") or {})}
    if secret_keys != example:
        errors.append(
            f"secret.example.yaml keys {sorted(example)} != referenced keys {sorted(secret_keys)}"
        )
    return errors


def check_image(m: Manifests, g: Gateway, dockerfile: str) -> list[str]:
    """The image agrees with the pod: USER, EXPOSE and kustomization's images entry."""
    errors: list[str] = []
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    uid = str(g.pod.get("securityContext", {}).get("runAsUser"))
    if not user or user[-1].split(":")[0] != uid:
        errors.append(f"Dockerfile USER {user[-1:]} does not match runAsUser {uid}")
    exposed = set(" ".join(re.findall(r"^EXPOSE\s+(.+)$", dockerfile, re.M)).split())
    if {str(p) for p in g.ports.values()} - exposed:
        errors.append(
            f"Dockerfile EXPOSE {sorted(exposed)} misses container ports {sorted(g.ports.values())}"
        )
    images = {i["name"] for i in m.kust.get("images", [])}
    if g.container["image"].split(":")[0] not in images:
        errors.append(f"kustomization images: has no entry for {g.container['image']}")
    return errors


def check_gateway(m: Manifests, dockerfile: str) -> list[str]:
    template = m.templates.get(GATEWAY)
    if template is None:
        return [f"Deployment/{GATEWAY} not found"]
    g, errors = gateway(m, template)
    return [
        *errors,
        *check_ports_and_probes(g),
        *check_drain(g),
        *check_metrics_annotation(g, template),
        *check_config_mount(g),
        *check_secret_refs(m, g),
        *check_image(m, g, dockerfile),
    ]


def problems(root: Path) -> list[str]:
    m = Manifests.read(root / "deploy/kubernetes")
    return [
        *check_kustomization(m),
        *check_secrets(m),
        *check_deployments(m),
        *check_selectors(m),
        *check_gateway(m, (root / "Dockerfile").read_text()),
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} <repository root>", file=sys.stderr)
        return 2
    found = problems(Path(argv[1]))
    for e in found:
        print(f"  {e}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
