"""Optional TLS: with a certificate and key the server speaks only TLS.

The certificate is made for the test by the ``openssl`` command (skipped without it).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from escapesim.service import cli
from escapesim.service.api import probe
from escapesim.service.api.settings import Settings
from escapesim.service.client import Client, ServiceError
from escapesim.service.testing import InProcessServer


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_server(
    certificate: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    cert, key = certificate
    settings = Settings.load(
        environ={"ESCAPESIM_TLS_CERT": str(cert), "ESCAPESIM_TLS_KEY": str(key)},
        flags={
            "addr": "127.0.0.1:0",
            "data": str(tmp_path_factory.mktemp("tls-data")),
            "workers": 1,
            "simulate_workers": 1,
        },
    )
    with InProcessServer(settings) as server:
        yield server


def test_a_client_trusting_the_certificate_gets_answers(
    tls_server: InProcessServer, certificate: tuple[Path, Path]
) -> None:
    with Client(tls_server.address, tls_ca=certificate[0]) as client:
        assert client.health() == "SERVING"
        assert client.presets()


def test_a_plaintext_client_gets_nothing(tls_server: InProcessServer) -> None:
    with Client(tls_server.address, timeout=3) as client, pytest.raises(ServiceError) as caught:
        client.presets()
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE


def test_the_health_probe_speaks_tls_when_given_the_certificate(
    tls_server: InProcessServer, certificate: tuple[Path, Path]
) -> None:
    addr, ca = tls_server.address, str(certificate[0])
    assert probe.main(["--addr", addr, "--tls-ca", ca]) == probe.SERVING
    # The name checked is the override, not the dialled IP: right name, then a wrong one.
    assert probe.main(["--addr", addr, "--tls-ca", ca, "--tls-server-name", "localhost"]) == (
        probe.SERVING
    )
    wrong = ["--addr", addr, "--tls-ca", ca, "--tls-server-name", "elsewhere.example"]
    assert probe.main([*wrong, "--timeout", "2"]) == probe.UNREACHABLE
    # Plaintext against a TLS server does not pass for healthy.
    assert probe.main(["--addr", addr, "--timeout", "2"]) == probe.UNREACHABLE


def test_the_probe_names_a_missing_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        probe.main(["--tls-ca", str(tmp_path / "absent.pem")])
    assert stopped.value.code == 2
    assert "--tls-ca / ESCAPESIM_PROBE_TLS_CA" in capsys.readouterr().err


def test_the_command_line_speaks_tls_trusting_escapesim_tls_ca(
    tls_server: InProcessServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ESCAPESIM_TLS_CA", str(certificate[0]))
    assert cli.main(["runs", "list", "--server", tls_server.address]) == 0
    assert capsys.readouterr().out.startswith("RUN")
    monkeypatch.setenv("ESCAPESIM_TLS_CA", str(tmp_path / "absent.pem"))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["runs", "list", "--server", tls_server.address])
    assert stopped.value.code == 2
    assert "ESCAPESIM_TLS_CA: " in capsys.readouterr().err
