"""``python -m escapesim.service.api.probe``: the container healthcheck, against a real server."""

from __future__ import annotations

import socket
import subprocess
import sys

from escapesim.service.api.probe import NOT_SERVING, SERVING, UNREACHABLE, main
from escapesim.service.testing import ServerProcess


def _probe(addr: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escapesim.service.api.probe", "--addr", addr, "--timeout", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serving_then_unknown_service_then_stopped(escapesim_server: ServerProcess) -> None:
    serving = _probe(escapesim_server.address)
    assert (serving.returncode, serving.stdout.strip()) == (SERVING, "SERVING")
    assert main(["--addr", escapesim_server.address, "--service", "no.such.Service"]) == (
        NOT_SERVING
    )
    escapesim_server.stop()
    gone = _probe(escapesim_server.address)
    assert gone.returncode == UNREACHABLE
    assert "unhealthy: UNAVAILABLE" in gone.stderr


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["--addr", f"127.0.0.1:{port}", "--timeout", "1"]) == UNREACHABLE
