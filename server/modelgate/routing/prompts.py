"""The catalog's prompt templates, compiled once per configuration: lookup, listing and
rendering (the layer that applies them to a request is `routing.prompt_templates`).

A reload builds a new `PromptCatalog` from the new settings, so templates reload with
the configuration. Rendering happens in the sandbox (`modelgate.prompt_sandbox`) after
the variables pass the template's JSON Schema; a name the template reads but the
variables lack is refused naming it, before Jinja would.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
from google.protobuf import json_format
from jinja2 import Template, TemplateError, UndefinedError, meta
from jinja2.exceptions import SecurityError

from modelgate.config import PromptConfig
from modelgate.errors.factories import invalid_argument, prompt_not_found, prompt_render_failed
from modelgate.errors.gateway_error import bounded
from modelgate.prompt_sandbox import SANDBOX
from modelgate.v1 import content_pb2, prompt_pb2

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
_ROLES = {
    "system": content_pb2.ROLE_SYSTEM,
    "user": content_pb2.ROLE_USER,
    "assistant": content_pb2.ROLE_ASSISTANT,
}
_VARIABLES = "prompt_template.variables"


@dataclass(frozen=True, slots=True)
class CompiledPrompt:
    """One template version: its contract record, compiled messages and checks."""

    record: prompt_pb2.Prompt
    messages: tuple[tuple[content_pb2.Role.ValueType, Template], ...]
    reads: frozenset[str]
    """Top-level names the messages read that the schema does not declare: each must be
    among the variables (a declared optional one is read guarded, `{% if x is defined %}`)."""
    schema: jsonschema.protocols.Validator

    @classmethod
    def build(cls, config: PromptConfig) -> CompiledPrompt:
        """Compiled from a (load-checked) config entry."""
        defaults = prompt_pb2.PromptDefaults(model=config.model or "")
        if config.generation is not None:
            json_format.ParseDict(config.generation, defaults.generation)
        if config.response_format is not None:
            json_format.ParseDict(config.response_format, defaults.response_format)
        record = prompt_pb2.Prompt(
            id=config.id,
            version=config.version,
            description=config.description,
            messages=[
                content_pb2.Message(
                    role=_ROLES[m.role], parts=[content_pb2.ContentPart(text=m.content)]
                )
                for m in config.messages
            ],
            variables_schema_json=json.dumps(config.variables_schema),
            defaults=defaults,
        )
        reads: set[str] = set()
        for message in config.messages:
            reads |= meta.find_undeclared_variables(SANDBOX.parse(message.content))
        declared = config.variables_schema.get("properties")
        if isinstance(declared, dict):
            reads -= declared.keys()
        validator_cls = jsonschema.validators.validator_for(config.variables_schema)
        return cls(
            record,
            tuple((_ROLES[m.role], SANDBOX.from_string(m.content)) for m in config.messages),
            frozenset(reads),
            validator_cls(config.variables_schema),
        )

    def render(self, variables_json: str) -> list[content_pb2.Message]:
        """The messages with `variables_json` filled in; INVALID_ARGUMENT naming each
        missing or wrong variable (`prompt_template.variables.<path>`)."""
        variables = _parse_variables(variables_json)
        violations: dict[str, str] = {}
        for error in self.schema.iter_errors(variables):
            required = error.validator_value
            if error.validator == "required" and isinstance(error.instance, dict):
                # The field path names the missing variable itself, not its parent object.
                for name in required if isinstance(required, list) else ():
                    if name not in error.instance:
                        violations[_path([*error.absolute_path, name])] = "is required"
            else:
                violations[_path(error.absolute_path)] = bounded(error.message)
        for name in sorted(self.reads - variables.keys()):
            violations.setdefault(f"{_VARIABLES}.{name}", "is required by the template")
        if violations:
            raise invalid_argument(list(violations.items()))
        try:
            return [_message(role, template.render(variables)) for role, template in self.messages]
        except SecurityError as exc:
            raise prompt_render_failed(self.record.id, self.record.version, str(exc)) from None
        except UndefinedError as exc:  # a nested value the variables lack (`user.name`)
            raise invalid_argument([(_VARIABLES, bounded(str(exc)))]) from None
        except TemplateError as exc:  # a filter refusing a value, a template raising
            raise prompt_render_failed(self.record.id, self.record.version, str(exc)) from None


def _message(role: content_pb2.Role.ValueType, text: str) -> content_pb2.Message:
    return content_pb2.Message(role=role, parts=[content_pb2.ContentPart(text=text)])


def _parse_variables(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise invalid_argument([("prompt_template.variables_json", "is not valid JSON")]) from None
    if not isinstance(value, dict):
        raise invalid_argument([("prompt_template.variables_json", "must be a JSON object")])
    return value


def _path(parts: Sequence[Any]) -> str:
    """`prompt_template.variables.user.name` (list indexes `[0]`) for a schema error."""
    path = _VARIABLES
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class PromptCatalog:
    """Every configured template version, by id and version."""

    def __init__(self, configs: Sequence[PromptConfig]) -> None:
        self._versions: dict[str, dict[int, CompiledPrompt]] = {}
        for config in configs:
            self._versions.setdefault(config.id, {})[config.version] = CompiledPrompt.build(config)

    def __bool__(self) -> bool:
        return bool(self._versions)

    def get(self, prompt_id: str, version: int = 0) -> CompiledPrompt:
        """The version asked for (0: the latest), or NOT_FOUND."""
        versions = self._versions.get(prompt_id)
        if not versions:
            raise prompt_not_found(prompt_id, version, list(self._versions))
        if version == 0:
            return versions[max(versions)]
        found = versions.get(version)
        if found is None:
            raise prompt_not_found(
                prompt_id, version, [f"{prompt_id}@{v}" for v in sorted(versions)]
            )
        return found

    def get_prompt(self, request: prompt_pb2.GetPromptRequest) -> prompt_pb2.GetPromptResponse:
        """GetPrompt's answer."""
        return prompt_pb2.GetPromptResponse(prompt=self.get(request.id, request.version).record)

    def list_page(self, request: prompt_pb2.ListPromptsRequest) -> prompt_pb2.ListPromptsResponse:
        """One page of every version of every template, sorted by id, then version."""
        violations: list[tuple[str, str]] = []
        if request.page_size < 0 or request.page_size > MAX_PAGE_SIZE:
            violations.append(("page_size", f"must be between 0 and {MAX_PAGE_SIZE}"))
        after: tuple[str, int] = ("", 0)
        if request.page_token:
            try:
                name, number = json.loads(base64.urlsafe_b64decode(request.page_token.encode()))
                after = (str(name), int(number))
            except (binascii.Error, ValueError, TypeError):
                violations.append(("page_token", "is not a token returned by ListPrompts"))
        if violations:
            raise invalid_argument(violations)
        keys = sorted((pid, v) for pid, versions in self._versions.items() for v in versions)
        start = next((i for i, key in enumerate(keys) if key > after), len(keys))
        size = request.page_size or DEFAULT_PAGE_SIZE
        page = keys[start : start + size]
        token = ""
        if start + size < len(keys):
            token = base64.urlsafe_b64encode(json.dumps(page[-1]).encode()).decode()
        return prompt_pb2.ListPromptsResponse(
            prompts=[self._versions[pid][v].record for pid, v in page],
            next_page_token=token,
            total_size=len(keys),
        )
