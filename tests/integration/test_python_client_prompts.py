"""The client's prompt-template methods (ListPrompts, GetPrompt) against a real gateway on echo.

`list_prompts` pages through every version; `get_prompt` answers the latest version
or the one asked for, and an unknown id is NotFoundError. Chat renders a template
named in `prompt_template=`, and echo answers the rendered user text.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from modelgate.client import AsyncModelGate, ModelGate, NotFoundError, text_of
from modelgate.config import PromptConfig
from tests.gateways import Served, serve, settings
from tests.waiting import RPC_S


def _version(version: int, content: str) -> PromptConfig:
    return PromptConfig.model_validate(
        {
            "id": "greet",
            "version": version,
            "description": f"greeting v{version}",
            "messages": [{"role": "user", "content": content}],
            "variables_schema": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            },
            "model": "echo",
        }
    )


PROMPTS = [
    _version(1, "Hi {{ name }}"),
    _version(2, "Hello {{ name }}"),
    PromptConfig.model_validate(
        {"id": "plain", "version": 1, "messages": [{"role": "user", "content": "say hi"}]}
    ),
]


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    async with serve(settings(echo=True, prompts=PROMPTS)) as running:
        yield running


async def test_list_prompts_pages_through_every_version(served: Served) -> None:
    async with AsyncModelGate(served.target, timeout=RPC_S) as client:
        listed = [(p.id, p.version) async for p in client.list_prompts(page_size=1)]
        page = await client.list_prompts_page(page_size=2)
    assert listed == [("greet", 1), ("greet", 2), ("plain", 1)]
    assert len(page.prompts) == 2 and page.next_page_token and page.total_size == 3


async def test_get_prompt_answers_the_latest_or_the_version_asked_for(served: Served) -> None:
    async with AsyncModelGate(served.target, timeout=RPC_S) as client:
        latest = await client.get_prompt("greet")
        first = await client.get_prompt("greet", 1)
        with pytest.raises(NotFoundError) as unknown:
            await client.get_prompt("nope")
        reply = await client.chat(
            "", [], prompt_template={"id": "greet", "variables": {"name": "Ada"}}
        )
    assert (latest.version, latest.messages[0].parts[0].text) == (2, "Hello {{ name }}")
    assert (first.version, first.description) == (1, "greeting v1")
    assert latest.defaults.model == "echo"
    assert unknown.value.reason == "PROMPT_NOT_FOUND"
    assert text_of(reply) == "Hello Ada"


async def test_the_blocking_client_has_the_same_methods(served: Served) -> None:
    def run() -> tuple[list[str], int]:
        with ModelGate(served.target, timeout=RPC_S) as client:
            ids = [p.id for p in client.list_prompts()]
            return ids, client.get_prompt("greet").version

    assert await asyncio.to_thread(run) == (["greet", "greet", "plain"], 2)
