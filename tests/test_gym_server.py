"""EscapeEnv over a real server's RunSession on a real port: the same environment as
in-process, bit for bit, and refusals named as in-process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from gymnasium.utils.env_checker import check_env

from escapesim import engine
from escapesim.engine.episode import Measurement, Prescription
from escapesim.gym import EscapeEnv
from escapesim.service.client import Client
from escapesim.service.testing import InProcessServer
from tests.hostile_support import hostile_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "anti_pd1.yaml"
CLINIC = Measurement(cv=0.3, detection_limit=1e3)


def _patient() -> engine.Scenario:
    """examples/anti_pd1.yaml's patient, untreated, 70 days (it escapes near day 70)."""
    example = engine.Scenario.from_dict(yaml.safe_load(EXAMPLE.read_text()))
    return example.with_changes(therapies=[], horizon_days=70.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    settings = hostile_settings(tmp_path_factory.mktemp("gym") / "data", max_sessions=1)
    with InProcessServer(settings) as running:
        yield running


def _play(env: EscapeEnv, seed: int, replicate: int) -> list[tuple[object, ...]]:
    """Every return of an episode dosing on days 0 and 21."""
    observation, info = env.reset(seed=seed, options={"replicate": replicate})
    seen: list[tuple[object, ...]] = [(observation.tobytes(), info)]
    done = False
    while not done:
        action = np.array([int(info["day"] in (0.0, 21.0))], dtype=np.int8)
        observation, reward, terminated, truncated, info = env.step(action)
        seen.append((observation.tobytes(), reward, terminated, truncated, info))
        done = terminated or truncated
    return seen


def test_over_the_session_rpc_the_environment_is_the_in_process_one(
    server: InProcessServer,
) -> None:
    options = {"doses": {"anti_pd1": 10.0}, "measurement": CLINIC}
    here = EscapeEnv(_patient(), **options)  # type: ignore[arg-type]
    there = EscapeEnv(_patient(), server=server.address, **options)  # type: ignore[arg-type]
    try:
        for seed, replicate in ((1, 0), (3, 2)):
            assert _play(there, seed, replicate) == _play(here, seed, replicate)
        check_env(there, skip_render_check=True)
    finally:
        there.close()
        there.close()  # twice: Gymnasium asks that it be safe
    # The environment closed its session and its connection: the one session slot is
    # free again for the next client.
    with server.client() as client, client.session(_patient(), every=7) as session:
        assert session.observation is not None


def test_a_dose_the_server_refuses_is_named_as_in_process(server: InProcessServer) -> None:
    with Client(server.address) as client:
        env = EscapeEnv(_patient(), doses={"anti_pd1": 10.0}, server=client)
        env.reset(seed=1)
        bad = [Prescription(kind="anti_pd1", dose=-1.0)]
        with pytest.raises(engine.ScenarioError) as raised:
            env.driver.step(bad)
        assert [v.field for v in raised.value.violations] == ["doses[0].dose"]
        _, _, _, _, info = env.step(np.zeros(1, dtype=np.int8))  # the session goes on
        assert info["day"] == 7.0
        env.close()  # a client the environment was given stays open for its owner
        with client.session(_patient(), every=7) as session:
            assert session.observation is not None


def test_the_in_process_environment_never_loads_grpc() -> None:
    code = (
        "import sys, numpy as np; from escapesim.gym import EscapeEnv; "
        "env = EscapeEnv(); env.reset(seed=1); env.step(np.zeros(8, np.int8)); "
        "sys.exit(1 if 'grpc' in sys.modules else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
