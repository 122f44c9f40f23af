"""``scripts/compose-check`` (run by ``make lint``): a broken compose file fails CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check(tmp_path: Path, edit: tuple[str, str] | None) -> subprocess.CompletedProcess[str]:
    """Run the check on a copy of the deployment files, with ``edit`` (old, new) applied."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "compose-check", tmp_path / "scripts")
    shutil.copy(ROOT / "Dockerfile", tmp_path)
    text = (ROOT / "docker-compose.yml").read_text()
    if edit is not None:
        assert edit[0] in text, f"{edit[0]!r} is no longer in docker-compose.yml"
        text = text.replace(edit[0], edit[1], 1)
    (tmp_path / "docker-compose.yml").write_text(text)
    return subprocess.run(
        [str(tmp_path / "scripts" / "compose-check")],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_compose_file_passes(tmp_path: Path) -> None:
    result = _check(tmp_path, None)
    assert result.returncode == 0, result.stderr
    assert "docker-compose.yml is valid" in result.stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("    healthcheck:", "    healthchek:"), "additional properties 'healthchek'"),
        (('"127.0.0.1:${ESCAPESIM_PORT:-50051}:50051"', '"50051:50051"'), "127.0.0.1 only"),
        (("ESCAPESIM_STOP_GRACE:-40s", "ESCAPESIM_STOP_GRACE:-5s"), "stop_grace_period"),
        (("- escapesim-data:/data", "- /srv/escapesim:/data"), "named volume"),
        (("tls://scheduler:8786}", "tls://localhost:8786}"), "must use the scheduler"),
        (('REQUIRE_ENCRYPTION: "True"', 'REQUIRE_ENCRYPTION: "False"'), "must require Dask TLS"),
        (("  read_only: true", "  read_only: false"), "must run with a read-only root"),
        (("    - /var/cache/escapesim:", "    - /var/cache/other:"), "the numba cache"),
        (('["seed-caches", "dask", "worker"]', '["dask", "worker"]'), "through seed-caches"),
    ],
    ids=[
        "schema",
        "public-port",
        "grace",
        "volume",
        "scheduler",
        "dask-tls",
        "read-only",
        "cache-tmpfs",
        "seeded-worker",
    ],
)
def test_a_broken_compose_file_fails(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    result = _check(tmp_path, edit)
    assert result.returncode != 0
    assert message in result.stderr
