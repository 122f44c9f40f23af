"""Safe defaults: no server open to other machines without tokens unless asked for."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from escapesim.service.api import exposure
from escapesim.service.api.settings import Settings


@pytest.mark.parametrize(
    ("addr", "expected"),
    [
        ("127.0.0.1:50051", True),
        ("127.0.0.9:1", True),
        ("[::1]:50051", True),
        ("localhost:50051", True),
        ("0.0.0.0:50051", False),
        ("[::]:50051", False),
        ("10.1.2.3:50051", False),
        ("api.example.org:50051", False),
    ],
)
def test_loopback_addresses(addr: str, expected: bool) -> None:
    assert exposure.loopback(addr) is expected


def test_an_open_public_server_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(exposure.ExposedError) as refused:
        exposure.check(Settings(addr="0.0.0.0:50051", data=tmp_path))
    assert "--insecure" in str(refused.value)
    assert "ESCAPESIM_TOKENS_FILE" in str(refused.value)


def test_insecure_says_so_in_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    exposure.check(Settings(addr="0.0.0.0:50051", data=tmp_path, insecure=True))
    assert "without authentication" in caplog.text


def test_tokens_over_plaintext_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    tokens = tmp_path / "tokens"
    tokens.write_text("t0ken\n")
    exposure.check(Settings(addr="0.0.0.0:50051", data=tmp_path, tokens_file=tokens))
    assert "plaintext" in caplog.text


def test_loopback_needs_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    exposure.check(Settings(addr="127.0.0.1:0", data=tmp_path))
    assert caplog.text == ""


def test_serve_refuses_in_one_line_and_leaves_no_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "escapesim.service.cli", "serve", "--addr", "0.0.0.0:0",
         "--data", str(data)],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "refusing to serve 0.0.0.0:0" in lines[0]
    assert not data.exists()


def test_insecure_is_a_setting_and_a_flag() -> None:
    assert Settings.load(environ={"ESCAPESIM_INSECURE": "1"}).insecure is True
    assert Settings.load(environ={}, flags={"insecure": "true"}).insecure is True
    assert Settings.load(environ={}).insecure is False
