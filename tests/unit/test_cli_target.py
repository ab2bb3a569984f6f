"""Where the CLI connects: --target, MODELGATE_TARGET and the default port 50051."""

from __future__ import annotations

import pytest

from modelgate.cli import build_parser
from modelgate.cli.connection import target_of, with_default_port


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("myhost", "myhost:50051"),
        ("myhost:6000", "myhost:6000"),
        ("10.0.0.7", "10.0.0.7:50051"),
        ("[::1]", "[::1]:50051"),
        ("[::1]:6000", "[::1]:6000"),
        ("::1", "[::1]:50051"),
        ("dns:///gateway.internal:443", "dns:///gateway.internal:443"),
        ("unix:/run/modelgate.sock", "unix:/run/modelgate.sock"),
        ("ipv4:10.0.0.1:6000,10.0.0.2:6000", "ipv4:10.0.0.1:6000,10.0.0.2:6000"),
    ],
)
def test_a_bare_host_gets_the_default_port(given: str, meant: str) -> None:
    assert with_default_port(given) == meant


def test_the_flag_wins_over_the_environment_which_wins_over_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = build_parser()
    monkeypatch.delenv("MODELGATE_TARGET", raising=False)
    assert target_of(parser.parse_args(["models"])) == "127.0.0.1:50051"
    monkeypatch.setenv("MODELGATE_TARGET", "gateway.internal")
    assert target_of(parser.parse_args(["models"])) == "gateway.internal:50051"
    assert target_of(parser.parse_args(["models", "--target", "other:7"])) == "other:7"
