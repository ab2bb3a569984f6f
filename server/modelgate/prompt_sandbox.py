"""The one Jinja environment prompt templates compile and render in.

Immutable sandbox: a template (or a variable's value) cannot reach Python internals
(`__class__`, `__globals__`, ...) or mutate what it is given; an undefined name is an
error, never an empty string; no autoescape, since the output is a prompt, not HTML.
Variables are data: their values are inserted as text, never rendered again.
"""

from __future__ import annotations

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

SANDBOX = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
