"""scripts/test-polyglot's gateway config loads strictly and serves a reasoning echo model.

The script runs outside the Python suite; this keeps its config valid, keeps
`echo-thinker` able to take the reasoning effort the other-language tests send, and
keeps `echo` serving the media call each of them makes.
"""

from __future__ import annotations

from pathlib import Path

from modelgate.config import load_settings
from modelgate.routing.catalog import Catalog

CONFIG = Path(__file__).resolve().parents[2] / "scripts" / "test-polyglot.yaml"


def test_echo_thinker_takes_reasoning_and_plain_echo_does_not() -> None:
    catalog = Catalog(load_settings(CONFIG, _env_file=None))
    assert "reasoning.effort" not in catalog.resolve("echo-thinker").params.lacking
    assert "reasoning.effort" in catalog.resolve("echo").params.lacking


def test_echo_serves_the_media_calls_of_the_other_languages() -> None:
    echo = Catalog(load_settings(CONFIG, _env_file=None)).resolve("echo").record.capabilities
    media = (echo.image_generation, echo.transcription, echo.speech)
    assert media == (True, True, True)
