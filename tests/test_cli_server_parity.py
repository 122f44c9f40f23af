"""``simulate --server`` behaves as the local command: the same flags, the same output.

The real console script against a real ``escapesim serve`` on a loopback port, both
piped (as a script or CI runs them): ``--first-replicate`` re-runs one replicate of a
larger run remotely, the ``wrote X (--out)`` lines appear, and nothing else reaches
standard error (no progress bar, no carriage returns).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pyarrow.parquet as pq
import pytest

from escapesim.service.client import ServiceError
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess

SCENARIO = ["--preset", "kirschner_panetta1998", "--set", "c=0.02", "--set", "T=1e3",
            "--horizon", "60", "--seed", "7"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("parity") / "data", env=SMALL_SETTINGS)
    process.start()
    yield process
    process.stop()


def escapesim(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script with standard output and error piped (neither is a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "escapesim.service.cli", *args],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def test_first_replicate_runs_remotely_and_matches_the_local_replicate(
    server: ServerProcess, tmp_path: Path
) -> None:
    larger = tmp_path / "larger.parquet"
    whole = escapesim("simulate", *SCENARIO, "--replicates", "4", "--out", str(larger))
    assert whole.returncode == 0, whole.stderr
    outputs = {where: (tmp_path / f"{where}.parquet", tmp_path / f"{where}.png")
               for where in ("local", "remote")}  # fmt: skip
    done = {}
    for where, (parquet, png) in outputs.items():
        remote = ["--server", server.address] if where == "remote" else []
        done[where] = escapesim(
            "simulate", *SCENARIO, "--first-replicate", "2", "--replicates", "1",
            "--out", str(parquet), "--plot", str(png), *remote,
        )  # fmt: skip
        assert done[where].returncode == 0, done[where].stderr
    local, remote = done["local"], done["remote"]
    assert remote.stdout == local.stdout, "the same summary, replicate 2 alone"
    assert "\n        2  equilibrium" in remote.stdout
    table = pq.read_table(outputs["remote"][0])
    assert table.equals(pq.read_table(outputs["local"][0]))
    third = pq.read_table(larger).to_pandas().query("replicate == 2").reset_index(drop=True)
    assert third.equals(table.to_pandas())
    for where, text in (("local", local.stderr), ("remote", remote.stderr)):
        parquet, png = outputs[where]
        lines = text.splitlines()
        assert f"wrote {parquet} (--out)" in lines
        assert f"wrote {png} (--plot)" in lines
        assert "\r" not in text, "no progress bar on a pipe"
        assert "rep/s" not in text
    extra = [line for line in remote.stderr.splitlines() if not line.startswith("wrote ")]
    assert len(extra) == 1
    assert extra[0].startswith("run ")
    assert server.address in extra[0]


def test_a_run_reports_its_first_replicate_and_refuses_one_out_of_range(
    server: ServerProcess,
) -> None:
    scenario = {"preset": "kuznetsov1994", "horizon_days": 3, "replicates": 2, "seed": 3}
    with server.client() as client:
        run = client.create_run(scenario, first_replicate=5)
        assert run.first_replicate == 5
        finished = client.wait(run.run_id, timeout=60)
        assert finished.first_replicate == 5
        assert finished.replicates_done == 2
        replicates = client.result_tables(run.run_id)["replicates"]
        assert replicates.column("replicate").to_pylist() == [5, 6]
        for bad in (-1, 2**31 - 1):  # the last replicate would be 2**31: past int32
            with pytest.raises(ServiceError) as refused:
                client.create_run(scenario, first_replicate=bad)
            assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
            assert [v.field for v in refused.value.violations] == ["first_replicate"]


def test_a_retry_with_another_first_replicate_is_a_conflict(server: ServerProcess) -> None:
    scenario = {"preset": "kuznetsov1994", "horizon_days": 3, "replicates": 1, "seed": 4}
    with server.client() as client:
        first = client.create_run(scenario, request_id="parity-retry", first_replicate=1)
        again = client.create_run(scenario, request_id="parity-retry", first_replicate=1)
        assert again.run_id == first.run_id
        with pytest.raises(ServiceError) as conflict:
            client.create_run(scenario, request_id="parity-retry", first_replicate=2)
        assert [v.field for v in conflict.value.violations] == ["request_id"]
