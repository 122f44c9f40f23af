"""Ensembles whose arms branch at a day, through a real server and the local command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from escapesim.engine.branching import branched_point
from escapesim.engine.ensemble import Ensemble
from escapesim.service.api.convert.ensembles import ensemble_to_proto
from escapesim.service.api.settings import Settings
from escapesim.service.cli import main
from escapesim.service.client import ServiceError
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer

BRANCHING = {
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 12, "seed": 3},
    "replicates": 3,
    "grid": {"initial": {"T": [1e5, 1e6]}},
    "arms": [{"name": "untreated"}, {"name": "strong", "parameters": {"n": 3e-7}}],
    "branch_day": 4,
}


def test_branching_arms_on_a_server_share_the_past_and_match_the_engine(tmp_path: Path) -> None:
    settings = Settings.load(
        environ={},
        flags={"addr": "127.0.0.1:0", "data": str(tmp_path / "data"), "workers": 1,
               "simulate_workers": 1, "drain_seconds": 1},
    )  # fmt: skip
    with InProcessServer(settings) as server, server.client() as client:
        created = client.create_ensemble(BRANCHING)
        found = client.wait_ensemble(created.ensemble_id, timeout=90)
        assert found.state is RunState.SUCCEEDED
        assert found.ensemble["branch_day"] == 4
        table = client.ensemble_results(found.ensemble_id)["trajectories"]
        spec = ensemble_to_proto(Ensemble.from_dict(BRANCHING))
        spec.branch_day = 4.5  # sent as a message: checked by the server
        with pytest.raises(ServiceError) as caught:
            client.create_ensemble(spec)
        assert [v.field for v in caught.value.violations] == ["ensemble.branch_day"]
    ensemble = Ensemble.from_dict(BRANCHING)
    for point in range(2):
        for replicate in range(3):
            engine_arms = branched_point(ensemble, point, replicate)
            for arm, result in engine_arms.items():
                rows = table[(table.point == point) & (table.arm == arm)
                             & (table.replicate == replicate)]  # fmt: skip
                assert rows["T"].tolist() == result.trajectory["T"].tolist(), (point, arm)
            control, strong = engine_arms["untreated"], engine_arms["strong"]
            assert np.array_equal(control.trajectory["E"][:4], strong.trajectory["E"][:4])
            assert not np.array_equal(control.trajectory["E"], strong.trajectory["E"])


def test_the_local_command_branches_too(tmp_path: Path) -> None:
    path = tmp_path / "branching.yaml"
    path.write_text(yaml.safe_dump(BRANCHING), encoding="utf-8")
    assert main(["ensemble", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    table = pq.read_table(tmp_path / "out" / "trajectories.parquet").to_pandas()
    result = branched_point(Ensemble.from_dict(BRANCHING), 1, 2)["strong"]
    rows = table[(table.point == 1) & (table.arm == "strong") & (table.replicate == 2)]
    assert rows["T"].tolist() == result.trajectory["T"].tolist()
