"""Every metric name the docs mention (`modelgate_*`, `gen_ai_*`) is one the server exposes,
with the labels they name; a `gen_ai_*` token may also be a label (an OTel attribute)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from modelgate.config import ModelConfig, PricingConfig, TelemetryConfig
from modelgate.v1 import chat_pb2, generation_pb2, model_pb2
from tests.gateways import serve, settings
from tests.rpc_helpers import chat_request, user
from tests.unit.docs_names import METRIC_TOKEN, SCANNED, line_of, relative


def metric_mentions(path: Path) -> Iterator[tuple[int, str, set[str]]]:
    """(line, name, label names) of every `modelgate_*` or `gen_ai_*` token in a file."""
    text = path.read_text()
    for match in METRIC_TOKEN.finditer(text):
        braces = match.group(2) or ""
        labels = {
            part.split("=")[0].strip().rstrip("!~").strip("\"'")
            for part in braces.strip("{}").split(",")
            if part.strip()
        }
        yield line_of(text, match.start()), match.group(1), labels


async def exposed_series() -> dict[str, set[str]]:
    """Metric names a scrape shows, with their label names, after traffic through each."""
    model = ModelConfig(
        id="docs-echo",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        pricing=PricingConfig(input=1.0, output=1.0),
        cache=True,
    )
    config = settings(echo=True, models=[model], telemetry=TelemetryConfig(metrics=True))
    async with serve(config) as running:
        cached = chat_request(
            model.id,
            "count every series",
            generation=generation_pb2.GenerationConfig(temperature=0),
            cache_control=generation_pb2.CacheControl(mode=generation_pb2.CACHE_MODE_USE),
        )
        await running.stub.Chat(cached)
        await running.stub.Chat(cached)
        request = chat_pb2.StreamChatRequest(model=model.id, messages=[user("a b c")])
        _ = [event async for event in running.stub.StreamChat(request)]
        await running.stub.ListModels(model_pb2.ListModelsRequest())
        assert running.gateway.metrics is not None
        page = generate_latest(running.gateway.metrics.registry).decode()
    # What a scrape names: `# TYPE` lines (counters with `_total`) and every sample.
    series: dict[str, set[str]] = {n: set() for n in re.findall(r"^# TYPE (\S+)", page, re.M)}
    for family in text_string_to_metric_families(page):
        typed = [n for n in (family.name, f"{family.name}_total") if n in series]
        for sample in family.samples:
            labels = set(sample.labels) - {"le", "quantile"}
            for name in (*typed, sample.name):
                series.setdefault(name, set()).update(labels)
    return series


async def test_every_metric_name_in_docs_is_exposed() -> None:
    series = await exposed_series()
    assert "modelgate_requests_total" in series, "the scrape has the gateway's series"
    label_names = set().union(*series.values())
    problems: list[str] = []
    for path in SCANNED:
        for line, name, labels in metric_mentions(path):
            where = f"{relative(path)}:{line}: {name}"
            if name in label_names and not labels:
                continue
            if name not in series:
                close = difflib.get_close_matches(name, series, n=3, cutoff=0.6)
                problems.append(f"{where} is not exposed (closest: {', '.join(close) or '-'})")
            elif labels - series[name]:
                wrong = ", ".join(sorted(labels - series[name]))
                known = ", ".join(sorted(series[name]))
                problems.append(f"{where} has no label {wrong} (labels: {known})")
    assert not problems, "metrics the server does not expose:\n" + "\n".join(problems)
