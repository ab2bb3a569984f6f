"""GenerateImage through the OpenAI backend: the fields sent, the images relayed in
chunks of at most 1 MiB, URL answers, usage and upstream faults."""

from __future__ import annotations

import grpc
import pytest

from modelgate.errors import GatewayError
from modelgate.providers.base import MEDIA_CHUNK_BYTES
from modelgate.v1 import image_pb2
from tests.fakes import FakeOpenAI, Fault
from tests.fakes.openai_media import image_bytes
from tests.integration.openai_media.support import Media, call, collect, media_backend, target

Request = image_pb2.GenerateImageRequest


def images_of(events: list[image_pb2.GenerateImageResponse]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for event in events:
        if event.HasField("chunk"):
            out[event.chunk.index] = out.get(event.chunk.index, b"") + event.chunk.data
    return out


async def test_every_field_the_caller_set_is_sent_under_openais_name(
    fake: FakeOpenAI, media: Media
) -> None:
    request = Request(
        model="gpt-image-1",
        prompt="a fox",
        count=2,
        size="64x64",
        quality="low",
        output_format=image_pb2.IMAGE_FORMAT_WEBP,
        output_compression=80,
        background=image_pb2.IMAGE_BACKGROUND_TRANSPARENT,
        user="u-7",
        metadata={"team": "never sent"},
    )
    await collect(media.ability.generate_image(target("gpt-image-1"), request, call()))
    assert fake.requests_to("/v1/images/generations")[-1].json == {
        "model": "gpt-image-1",
        "prompt": "a fox",
        "n": 2,
        "size": "64x64",
        "quality": "low",
        "output_format": "webp",
        "output_compression": 80,
        "background": "transparent",
        "user": "u-7",
    }


async def test_dall_e_is_asked_for_base64_and_gives_its_revised_prompt(
    fake: FakeOpenAI, media: Media
) -> None:
    request = Request(model="dall-e-3", prompt="a fox", style="vivid")
    events = await collect(media.ability.generate_image(target("dall-e-3"), request, call()))
    sent = fake.requests_to("/v1/images/generations")[-1].json
    assert sent["response_format"] == "b64_json" and sent["style"] == "vivid"
    assert events[0].image.revised_prompt == "A detailed picture of a fox"
    assert images_of(events)[0] == image_bytes("a fox#0", "auto", "png")


async def test_a_large_image_arrives_in_chunks_of_at_most_one_mib(media: Media) -> None:
    request = Request(model="gpt-image-1", prompt="big", size="1024x1024")
    events = await collect(media.ability.generate_image(target("gpt-image-1"), request, call()))
    expected = image_bytes("big#0", "1024x1024", "png")
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[0] == "image" and kinds[-1] == "end" and kinds.count("chunk") >= 3
    assert all(len(e.chunk.data) <= MEDIA_CHUNK_BYTES for e in events if e.HasField("chunk"))
    assert images_of(events)[0] == expected
    started = events[0].image
    assert (started.mime_type, started.size_bytes) == ("image/png", len(expected))
    end = events[-1].end
    assert end.image_count == 1
    usage = end.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (1, 272, 273)


async def test_each_image_is_announced_then_chunked_in_order(media: Media) -> None:
    request = Request(model="gpt-image-1", prompt="two", count=2)
    events = await collect(media.ability.generate_image(target("gpt-image-1"), request, call()))
    kinds = [(e.WhichOneof("event"), e.image.index or e.chunk.index) for e in events]
    assert kinds == [("image", 0), ("chunk", 0), ("image", 1), ("chunk", 1), ("end", 0)]
    assert images_of(events)[1] == image_bytes("two#1", "auto", "png")


async def test_a_url_answer_on_a_private_address_is_refused(media: Media) -> None:
    request = Request(model="sdxl", prompt="a fox")
    with pytest.raises(GatewayError) as caught:
        await collect(media.ability.generate_image(target("sdxl"), request, call()))
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.reason_name == "UPSTREAM_INVALID_RESPONSE"
    assert "data[0].url" in caught.value.message and "internal address" in caught.value.message


async def test_a_url_answer_is_fetched_where_private_urls_are_allowed(media: Media) -> None:
    request = Request(model="sdxl", prompt="a fox")
    where = target("sdxl", allow_private_urls=True)
    events = await collect(media.ability.generate_image(where, request, call()))
    assert images_of(events)[0] == image_bytes("a fox#0", "auto", "png")


async def test_rate_limit_is_resource_exhausted_with_its_retry_delay(
    fake: FakeOpenAI, media: Media
) -> None:
    fake.script(Fault.rate_limited(retry_after=3))
    request = Request(model="gpt-image-1", prompt="a fox")
    with pytest.raises(GatewayError) as caught:
        await collect(media.ability.generate_image(target("gpt-image-1"), request, call()))
    assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert caught.value.retry_after == 3 and caught.value.retryable


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault.server_error(), grpc.StatusCode.UNAVAILABLE),
        (Fault.http(400, "Your prompt was rejected."), grpc.StatusCode.INVALID_ARGUMENT),
        (Fault.reset(), grpc.StatusCode.UNAVAILABLE),
        (Fault.truncate(), grpc.StatusCode.UNAVAILABLE),
    ],
)
async def test_upstream_faults_map_to_their_statuses(
    fake: FakeOpenAI, media: Media, fault: Fault, code: grpc.StatusCode
) -> None:
    fake.script(fault)
    request = Request(model="gpt-image-1", prompt="a fox")
    with pytest.raises(GatewayError) as caught:
        await collect(media.ability.generate_image(target("gpt-image-1"), request, call()))
    assert caught.value.code == code


async def test_base64_that_is_not_base64_is_an_invalid_answer(fake: FakeOpenAI) -> None:
    broken = {"created": 1, "data": [{"b64_json": "not base64!"}]}
    fake.script(Fault.http(200, body=broken))
    async with media_backend(fake) as media:
        request = Request(model="gpt-image-1", prompt="a fox")
        with pytest.raises(GatewayError) as caught:
            await collect(media.ability.generate_image(target("gpt-image-1"), request, call()))
    assert caught.value.reason_name == "UPSTREAM_INVALID_RESPONSE"
