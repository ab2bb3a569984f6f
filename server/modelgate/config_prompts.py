"""The catalog's prompt templates (`prompts:`): each entry one immutable version.

Everything an entry says is checked at load, so a broken template fails the
configuration rather than a caller: the messages compile in the sandbox, the
variables' schema is a valid JSON Schema, and the defaults parse into the contract's
own `GenerationConfig` / `ResponseFormat` (unknown fields refused). Imported through
`modelgate.config`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import jsonschema
from google.protobuf import json_format
from jinja2 import TemplateSyntaxError
from pydantic import AfterValidator, Field, field_validator

from modelgate.config_sections import Section
from modelgate.prompt_sandbox import SANDBOX
from modelgate.v1 import generation_pb2


class PromptMessageConfig(Section):
    """One message of a template: its role and its text with Jinja placeholders."""

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)
    """Text with placeholders, e.g. "Greet {{ name }} in {{ language }}"."""

    @field_validator("content")
    @classmethod
    def _compiles(cls, content: str) -> str:
        try:
            SANDBOX.parse(content)
        except TemplateSyntaxError as exc:
            raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
        return content


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
    return schema


def _parses_as(message: type[Any]) -> Any:
    def check(value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                json_format.ParseDict(value, message())
            except json_format.ParseError as exc:
                raise ValueError(str(exc)) from None
        return value

    return check


class PromptConfig(Section):
    """One published version of a prompt template (versions are immutable: a change is a
    new entry with the next `version`)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: int = Field(ge=1)
    description: str = ""
    messages: list[PromptMessageConfig] = Field(min_length=1)
    """Rendered in order, before the request's own messages."""
    variables_schema: Annotated[dict[str, Any], AfterValidator(_json_schema)] = Field(
        default_factory=lambda: {"type": "object"}
    )
    """JSON Schema the request's variables must satisfy."""
    model: str | None = None
    """Model id or alias used when the request's `model` is empty."""
    generation: Annotated[
        dict[str, Any] | None, AfterValidator(_parses_as(generation_pb2.GenerationConfig))
    ] = None
    """`GenerationConfig` fields (proto JSON names) applied where the request leaves them unset."""
    response_format: Annotated[
        dict[str, Any] | None, AfterValidator(_parses_as(generation_pb2.ResponseFormat))
    ] = None
    """A `ResponseFormat` (proto JSON) used when the request sets none."""


def _unique_versions(prompts: list[PromptConfig]) -> list[PromptConfig]:
    seen: set[tuple[str, int]] = set()
    for prompt in prompts:
        key = (prompt.id, prompt.version)
        if key in seen:
            raise ValueError(
                f"prompt {prompt.id!r} version {prompt.version} is listed twice: a "
                "published version is immutable, add the next version instead"
            )
        seen.add(key)
    return prompts


Prompts = Annotated[list[PromptConfig], AfterValidator(_unique_versions)]
"""The `prompts:` list: (id, version) unique."""
