"""Where a setting lives: walking the settings model by key path or env-var name.

Shared by the error messages (the closest known key at an unknown key's place) and
the environment check (which `MODELGATE_*` names are settings), so both read the
one settings model instead of keeping lists of names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

ENV_PREFIX = "MODELGATE_"
ENV_DELIMITER = "__"
DOTENV_LABEL = ".env:"
"""Marks an unknown name from the .env file (not the environment) in validation errors."""
CLOSE = 0.6
"""difflib ratio above which a known name is offered as "did you mean"."""

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Shape:
    """What a setting holds: a settings model, a map or list of shapes, or a plain value."""

    model: type[BaseModel] | None = None
    item: Shape | None = None
    is_list: bool = False

    @property
    def is_value(self) -> bool:
        """A plain value (or anything inside a free-form map): nothing below is checked."""
        return self.model is None and self.item is None


def shape_of(annotation: Any) -> Shape:
    """The shape of a field's type: `X | None` is X, `dict[str, M]` a map of M, etc."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return shape_of(get_args(annotation)[0])
    if origin in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return shape_of(members[0]) if len(members) == 1 else Shape()
    if origin is dict:
        return Shape(item=shape_of(get_args(annotation)[1]))
    if origin is list:
        return Shape(item=shape_of(get_args(annotation)[0]), is_list=True)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Shape(model=annotation)
    return Shape()


def dotted(loc: Sequence[int | str]) -> str:
    """A key path as an operator reads it: `models[2].pricing.input`, `aliases["a.b"]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text


def model_at(root: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The settings model whose keys sit at `loc` (None when `loc` is inside a value)."""
    shape = Shape(model=root)
    for part in loc:
        if shape.model is not None:
            field = shape.model.model_fields.get(str(part))
            if field is None:
                return None
            shape = shape_of(field.annotation)
        elif shape.item is not None:
            shape = shape.item  # a map key (runtime or alias name) or a list index
        else:
            return None
    return shape.model


def closest(name: str, known: Sequence[str]) -> str | None:
    """The known name `name` was most likely meant to be, if any is close enough."""
    found = difflib.get_close_matches(name, known, n=1, cutoff=CLOSE)
    return found[0] if found else None


def unknown_key(root: type[BaseModel], loc: Sequence[int | str]) -> str:
    """Why the last key of `loc` is refused, with the closest key that is known there."""
    model = model_at(root, loc[:-1])
    known = list(model.model_fields) if model is not None else []
    guess = closest(str(loc[-1]), known)
    if guess is not None:
        return f"unknown key; did you mean `{guess}`?"
    return f"unknown key; known here: {', '.join(known)}" if known else "unknown key"


def _flat(model: type[BaseModel]) -> Iterator[str]:
    """Env-style names (`server__port`) of every setting below `model`, through sections."""
    for name, field in model.model_fields.items():
        yield name
        shape = shape_of(field.annotation)
        if shape.model is not None:
            yield from (f"{name}{ENV_DELIMITER}{sub}" for sub in _flat(shape.model))


def env_name_problem(root: type[BaseModel], name: str) -> str | None:
    """None when a `MODELGATE_*` name sets a setting, else why not (and what was meant).

    The rules are pydantic-settings': prefix stripped, case ignored, `__` descends into
    sections, map keys (runtime or alias names) are free, lists are set whole.
    """
    parts = name[len(ENV_PREFIX) :].lower().split(ENV_DELIMITER)
    shape = Shape(model=root)
    for depth, part in enumerate(parts):
        if shape.model is not None:
            field = shape.model.model_fields.get(part)
            if field is None:
                return _unknown_env(shape.model, parts, depth)
            shape = shape_of(field.annotation)
        elif shape.is_list:
            path = ".".join(parts[:depth])
            return f"`{path}` is a list: set it whole (JSON) or in the config file"
        elif shape.item is not None:
            shape = shape.item  # a map key: a runtime or alias name, a header, an option
            if shape.model is None and shape.item is None:
                return None  # inside a free-form map: anything goes
        else:
            return f"`{'.'.join(parts[:depth])}` is a value, not a section"
    return None


def _unknown_env(model: type[BaseModel], parts: list[str], depth: int) -> str:
    rest = ENV_DELIMITER.join(parts[depth:])
    guess = closest(rest, list(_flat(model)))
    if guess is None:
        return "unknown setting"
    meant = ENV_DELIMITER.join([*parts[:depth], guess]).upper()
    return f"unknown setting; did you mean `{ENV_PREFIX}{meant}`?"
