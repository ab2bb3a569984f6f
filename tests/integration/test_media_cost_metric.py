"""Media calls add their cost to `modelgate_cost_usd_total` like text calls do, though they
have no GenAI conventions series (the conventions name no image or audio operation)."""

from __future__ import annotations

from typing import Any

from modelgate.config import ImagePriceConfig, ModelConfig, PricingConfig, TelemetryConfig
from modelgate.v1 import audio_pb2, image_pb2
from tests.gateways import serve, settings
from tests.integration.test_genai_metrics import _scrape, _value
from tests.ports import free_port
from tests.waiting import RPC_S

MEDIA: Any = ["image_generation", "speech"]
PRICED = ModelConfig(
    id="echo-media-priced",
    runtime="echo",
    capabilities=MEDIA,
    pricing=PricingConfig(
        images=[ImagePriceConfig(per_image=0.25)], speech_per_million_characters=500_000.0
    ),
)
"""$0.25 an image; $0.5 a character of speech (so "hi" costs $1)."""


async def test_image_and_speech_cost_reach_the_cost_series() -> None:
    port = free_port()
    config = settings(echo=True, models=[PRICED], telemetry=TelemetryConfig(metrics_port=port))
    async with serve(config) as served:
        image = image_pb2.GenerateImageRequest(model="echo-media-priced", prompt="a fox", count=2)
        async for _ in served.stub.GenerateImage(image, timeout=RPC_S):
            pass
        speech = audio_pb2.SpeakRequest(model="echo-media-priced", text="hi")
        async for _ in served.stub.Speak(speech, timeout=RPC_S):
            pass
        samples = await _scrape(port)
    cost = _value(samples, "modelgate_cost_usd_total", model="echo-media-priced")
    assert cost is not None and abs(cost - 1.5) < 1e-9, "2 images at $0.25 and 2 characters"
