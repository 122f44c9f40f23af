"""``escapesim calibrate --server`` and ``escapesim sensitivity --server`` write what the
local commands write: the same tables (the seeded sampler's posterior does not depend on
where or on how many workers it ran), the same summary's posterior, the same figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from escapesim.service.cli import main
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess
from tests.analysis_support import CALIBRATION, ROWS, SENSITIVITY


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("analyses") / "data", env=SMALL_SETTINGS)
    process.start()
    yield process
    process.stop()


def test_calibrate_on_a_server_writes_the_local_outputs(
    server: ServerProcess, tmp_path: Path
) -> None:
    pd.DataFrame(ROWS).to_csv(tmp_path / "data.tsv", sep="\t", index=False)
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump({**CALIBRATION, "measurements": "data.tsv"}))
    fit = str(tmp_path / "fit.yaml")
    assert main(["calibrate", fit, "--out", str(tmp_path / "local")]) == 0
    assert main(["calibrate", fit, "--server", server.address, "--out",
                 str(tmp_path / "remote")]) == 0  # fmt: skip
    for name in ("particles", "generations", "predictive"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "remote" / f"{name}.parquet"))
    local, remote = (json.loads((tmp_path / where / "summary.json").read_text())
                     for where in ("local", "remote"))  # fmt: skip
    assert remote["posterior"] == local["posterior"]
    assert remote["evaluations"] == local["evaluations"]
    for figure in ("posterior.png", "predictive.png"):
        assert (tmp_path / "remote" / figure).stat().st_size > 10_000


def test_sensitivity_on_a_server_writes_the_local_outputs(
    server: ServerProcess, tmp_path: Path
) -> None:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SENSITIVITY))
    spec = str(tmp_path / "spec.yaml")
    assert main(["sensitivity", spec, "--out", str(tmp_path / "local")]) == 0
    assert main(["sensitivity", spec, "--server", server.address, "--out",
                 str(tmp_path / "remote")]) == 0  # fmt: skip
    for name in ("samples", "indices"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "remote" / f"{name}.parquet"))
    assert (tmp_path / "remote" / "sensitivity.png").stat().st_size > 10_000


def test_a_bad_table_is_refused_before_anything_is_sent(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd.DataFrame([{**ROWS[0], "time": -2.0}]).to_csv(tmp_path / "bad.tsv", sep="\t", index=False)
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump({**CALIBRATION, "measurements": "bad.tsv"}))
    status = main(["calibrate", str(tmp_path / "fit.yaml"), "--server", server.address,
                   "--out", str(tmp_path / "out")])  # fmt: skip
    assert status == 2
    assert "measurements[1].time" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_notebook_call_on_a_server_returns_the_local_frames(server: ServerProcess) -> None:
    import escapesim

    local = escapesim.sensitivity(SENSITIVITY)
    remote = escapesim.sensitivity(SENSITIVITY, server=server.address)
    pd.testing.assert_frame_equal(remote.indices, local.indices)
    pd.testing.assert_frame_equal(remote.samples, local.samples)


def test_the_notebook_calibration_on_a_server_returns_the_local_frames(
    server: ServerProcess, tmp_path: Path
) -> None:
    import escapesim

    pd.DataFrame(ROWS).to_csv(tmp_path / "data.tsv", sep="\t", index=False)
    fit = {**CALIBRATION, "measurements": "data.tsv"}
    local = escapesim.calibrate(fit, out=tmp_path / "local", directory=tmp_path)
    remote = escapesim.calibrate(fit, out=tmp_path / "remote", directory=tmp_path,
                                 server=server.address)  # fmt: skip
    pd.testing.assert_frame_equal(remote.particles, local.particles)
    pd.testing.assert_frame_equal(remote.generations, local.generations)
    assert remote.summary["posterior"] == local.summary["posterior"]
    assert (tmp_path / "remote" / "posterior.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="path or mapping"):
        escapesim.calibrate(local.spec, out=tmp_path / "again", server=server.address)
