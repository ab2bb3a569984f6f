"""The CLI against a gateway that speaks only TLS and wants an API key, as operators run one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from tests.integration.test_cli_commands import gateway_process, run_cli
from tests.pki import make_pki
from tests.waiting import PROCESS_TEST_TIMEOUT_S

pytestmark = pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)

KEY = "mg-cli-test-key"


def _config(pki: Path, *, client_ca: bool = False) -> str:
    mutual = f", tls_client_ca_file: {pki / 'ca.pem'}" if client_ca else ""
    return f"""
server: {{tls_cert_file: {pki / "server.pem"}, tls_key_file: {pki / "server.key"}{mutual}}}
auth:
  enabled: true
  keys:
    - {{id: cli, sha256: {hashlib.sha256(KEY.encode()).hexdigest()}}}
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _credentials(pki: Path, *, client: bool = False) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / "client.key").read_bytes() if client else None,
        certificate_chain=(pki / "client.pem").read_bytes() if client else None,
    )


@pytest.fixture(scope="module")
def target(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("tls-auth")
    with gateway_process(_config(pki), directory, _credentials(pki)) as (_process, address):
        yield address


def test_tls_and_an_api_key_flag(target: str, pki: Path) -> None:
    ca = str(pki / "ca.pem")
    result = run_cli("chat", "--target", target, "--tls", "--ca-cert", ca, "--api-key", KEY, "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"


def test_the_key_and_target_from_the_environment(target: str, pki: Path) -> None:
    # --ca-cert alone implies TLS
    env = {"MODELGATE_TARGET": target, "MODELGATE_API_KEY": KEY}
    result = run_cli("chat", "--ca-cert", str(pki / "ca.pem"), stdin="from env\n", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "from env\n"


@pytest.mark.parametrize("key", ["wrong-key", None])
def test_a_wrong_or_missing_key_is_one_unauthenticated_line(
    target: str, pki: Path, key: str | None
) -> None:
    given = ["--api-key", key] if key else []
    result = run_cli("chat", "--target", target, "--ca-cert", str(pki / "ca.pem"), *given, "hi")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: UNAUTHENTICATED (API_KEY_INVALID): ")
    assert result.stderr.count("\n") == 1


def test_health_needs_no_key(target: str, pki: Path) -> None:
    result = run_cli("health", "--target", target, "--ca-cert", str(pki / "ca.pem"))
    assert (result.returncode, result.stdout) == (0, "SERVING\n"), result.stderr


def test_mutual_tls_with_a_client_certificate(pki: Path, tmp_path: Path) -> None:
    config = _config(pki, client_ca=True)
    with gateway_process(config, tmp_path, _credentials(pki, client=True)) as (_process, address):
        tls = ["--ca-cert", str(pki / "ca.pem"), "--api-key", KEY]
        client = ["--cert", str(pki / "client.pem"), "--key", str(pki / "client.key")]
        result = run_cli("chat", "--target", address, *tls, *client, "mutual")
        assert (result.returncode, result.stdout) == (0, "mutual\n"), result.stderr
        without = run_cli("chat", "--target", address, *tls, "--timeout", "30", "mutual")
        assert without.returncode == 1
        assert without.stderr.startswith("error: UNAVAILABLE: ")


def test_a_certificate_without_its_key_is_a_usage_error(pki: Path) -> None:
    result = run_cli("chat", "--cert", str(pki / "client.pem"), "hi")
    assert result.returncode == 2
    assert result.stderr == "error: --cert and --key go together (mutual TLS needs both)\n"
