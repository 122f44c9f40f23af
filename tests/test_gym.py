"""The Gymnasium environment: Gymnasium's checker, reproducible patients, the reward's
terms, actions that are the scenario's doses, bad input refused by field."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium
import numpy as np
import pytest
import yaml
from gymnasium.utils.env_checker import check_env

from escapesim import engine
from escapesim.engine.episode import Measurement
from escapesim.engine.episode_reward import Reward
from escapesim.engine.episode_space import OBSERVED_DECADES
from escapesim.gym import ENV_ID, EscapeEnv
from tests.test_checkpoint import same

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "anti_pd1.yaml"
NONE = np.zeros(1, dtype=np.int8)
DOSE = np.ones(1, dtype=np.int8)


def _patient(horizon: float) -> engine.Scenario:
    """examples/anti_pd1.yaml's patient, untreated (it escapes near day 70), shorter."""
    example = engine.Scenario.from_dict(yaml.safe_load(EXAMPLE.read_text()))
    return example.with_changes(therapies=[], horizon_days=horizon)


def _env(horizon: float = 70.0, **kwargs: object) -> EscapeEnv:
    return EscapeEnv(_patient(horizon), doses={"anti_pd1": 10.0}, **kwargs)


def _play(env: EscapeEnv, dose_days: tuple[float, ...]) -> list[tuple[object, ...]]:
    """Steps until the end, dosing on ``dose_days``; every step's returns."""
    steps: list[tuple[object, ...]] = []
    day, done = 0.0, False
    while not done:
        observation, reward, terminated, truncated, info = env.step(
            DOSE if day in dose_days else NONE
        )
        steps.append((observation.tobytes(), reward, terminated, truncated, info))
        day, done = info["day"], terminated or truncated
    return steps


def test_the_default_environment_passes_gymnasiums_checker() -> None:
    env = EscapeEnv()
    check_env(env, skip_render_check=True)  # no render modes (a spec'd one is checked below)
    assert env.action_space == gymnasium.spaces.MultiBinary(8)
    assert env.layout.observation_names[0] == "burden"
    assert env.layout.observation_names[-1] == "day"
    # The registered id builds it too, with a spec (the checker then also closes it twice).
    made = gymnasium.make(ENV_ID, scenario=_patient(28.0), doses={"anti_pd1": 10.0})
    check_env(made.unwrapped)
    made.close()
    # Gymnasium's "module:id" form imports this module, which registers the id.
    assert isinstance(gymnasium.make(f"escapesim.gym:{ENV_ID}").unwrapped, EscapeEnv)


def test_the_observation_is_the_clinics_measurements_log_scaled() -> None:
    env = _env()
    observation, info = env.reset(seed=1)
    # Day 0: the example's 1e5 PD-L1-high cells, no effectors yet, no drug.
    assert info["burden"] == 1e5
    assert observation[0] == pytest.approx(math.log10(1 + 1e5), rel=1e-6)
    observation, *_ = env.step(DOSE)
    names = env.layout.observation_names
    # A week after 10 mg/kg with a 25-day half-life: log10(1 + 10·2^(-7/25)).
    exposure = observation[names.index("anti_PD1")]
    assert exposure == pytest.approx(math.log10(1 + 10 * 2 ** (-7 / 25)), rel=1e-6)
    assert observation[-1] == pytest.approx(7 / 70)
    assert np.all((observation >= 0) & (observation <= OBSERVED_DECADES))


def test_the_same_seed_is_the_same_episode_bitwise_and_reset_moves_to_the_next_patient() -> None:
    schedule = (0.0, 21.0)
    first, second = _env(), _env()
    first.reset(seed=7)
    second.reset(seed=7)
    assert _play(first, schedule) == _play(second, schedule)
    # reset() after reset(seed=7) is patient 1 of seed 7; options pick one directly.
    _, info = first.reset()
    assert (info["seed"], info["replicate"]) == (7, 1)
    one = _play(first, schedule)
    second.reset(seed=7, options={"replicate": 1})
    assert _play(second, schedule) == one
    # A patient is the replicate of that seed: without actions, the plain run.
    second.reset(seed=7, options={"replicate": 1})
    _play(second, ())
    assert same(
        second.driver.episode.result, engine.simulate(_patient(70.0).with_changes(seed=7), 1)
    )


def test_an_action_is_the_same_dose_listed_in_the_scenario() -> None:
    env = _env()
    env.reset(seed=1, options={"replicate": 3})
    steps = _play(env, (0.0, 14.0, 28.0))
    # The doses of the decisions the episode reached (it may end at an outcome first).
    reached = [0.0] + [info["day"] for *_, info in steps[:-1]]  # type: ignore[index]
    given = [d for d in (0.0, 14.0, 28.0) if d in reached]
    assert given[:2] == [0.0, 14.0]
    listed = _patient(70.0).with_changes(
        therapies=[{"kind": "anti_pd1", "at_days": [d], "dose": 10.0} for d in given]
    )
    episode = env.driver.episode
    assert episode.scenario == listed
    assert same(episode.result, engine.simulate(listed, 3))


@pytest.mark.parametrize(
    ("dose_days", "outcome", "terminal"), [((0.0,), "elimination", 3.0), ((), "escape", -7.0)]
)
def test_the_reward_is_its_three_terms(
    dose_days: tuple[float, ...], outcome: str, terminal: float
) -> None:
    reward = Reward(dose_cost=0.25, escape=7.0, elimination=3.0)
    env = _env(horizon=91.0, reward=reward)
    env.reset(seed=1)
    steps = _play(env, dose_days)
    scale = math.log10(1 + 1e9)  # the example's escape threshold
    for k, (_, total, _, _, info) in enumerate(steps):
        terms = info["reward_terms"]
        assert terms["burden"] == pytest.approx(-math.log10(1 + info["burden"]) / scale)
        assert terms["dose"] == (-0.25 if k == 0 and dose_days else 0.0)
        assert total == pytest.approx(sum(terms.values()))
    # Patient 0 of seed 1: one dose on day 0 eliminates its tumour, untreated it escapes
    # (day ~70). Either way the episode is terminated (not truncated) at the decision
    # after the outcome, and only that step has the terminal term.
    *_, (_, _, terminated, truncated, info) = steps
    assert info["outcome"] == outcome
    assert (terminated, truncated) == (True, False)
    assert info["reward_terms"]["terminal"] == terminal
    assert all(s[4]["reward_terms"]["terminal"] == 0.0 for s in steps[:-1])


def test_the_horizon_truncates() -> None:
    env = _env(horizon=28.0)
    env.reset(seed=1)
    *_, (_, _, terminated, truncated, info) = _play(env, ())
    assert (terminated, truncated, info["outcome"]) == (False, True, "equilibrium")
    assert info["day"] == 28.0
    assert info["reward_terms"]["terminal"] == 0.0
    with pytest.raises(RuntimeError, match="reset"):
        env.step(NONE)


def test_a_bad_action_is_refused_by_name_and_the_episode_goes_on() -> None:
    env = EscapeEnv()
    env.reset(seed=1)
    with pytest.raises(engine.ScenarioError, match=r"action: must have shape \(8,\)"):
        env.step(np.zeros(3, dtype=np.int8))
    bad = np.zeros(8, dtype=np.int64)
    bad[[1, 4]] = (2, -1)
    with pytest.raises(engine.ScenarioError) as raised:
        env.step(bad)
    fields = {v.field: v.message for v in raised.value.violations}
    assert set(fields) == {"action[1]", "action[4]"}
    assert "anti_tgfb" in fields["action[1]"]
    _, _, _, _, info = env.step(np.zeros(8, dtype=np.int8))
    assert info["day"] == 7.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"doses": {"nope": 1.0}}, "doses.nope"),
        ({"doses": {"anti_pd1": -1.0}}, "doses.anti_pd1"),
        ({"reward": Reward(escape=-1.0)}, "reward.escape"),
        ({"every": 0.5}, "every_days"),
        ({"measurement": Measurement(cv=-1.0)}, "measurement.cv"),
    ],
)
def test_bad_arguments_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(engine.ScenarioError) as raised:
        EscapeEnv(**kwargs)
    assert field in {v.field for v in raised.value.violations}


def test_a_preset_without_therapies_has_no_action_to_take() -> None:
    with pytest.raises(engine.ScenarioError, match="doses: no therapy"):
        EscapeEnv({"preset": "kuznetsov1994"})
    env = EscapeEnv()
    with pytest.raises(engine.ScenarioError, match=r"options\.replicate"):
        env.reset(options={"replicate": -1})


def test_an_action_keeps_a_populations_patient() -> None:
    # Patient k of a parameter population has its own parameters; a dose given as an
    # action forks the run and must keep them (and every other field of the scenario).
    spec = yaml.safe_load(
        (EXAMPLE.parent / "ensemble_escape2004_anti_pd1_population.yaml").read_text()
    )
    scenario = engine.Scenario.from_dict(
        {**spec["scenario"], "initial": {"T": 0.0, "T_p": 1e4}, "horizon_days": 28.0,
         "stop_at_outcome": True}
    )  # fmt: skip
    env = EscapeEnv(scenario, doses={"anti_pd1": 10.0})
    env.reset(options={"replicate": 5})
    _play(env, (7.0,))
    listed = scenario.with_changes(therapies=[{"kind": "anti_pd1", "at_days": [7], "dose": 10.0}])
    assert env.driver.episode.scenario == listed
    assert same(env.driver.episode.result, engine.simulate(listed, 5))


def test_the_clinics_measurement_model_is_what_the_agent_sees() -> None:
    blind = _env(horizon=28.0, measurement=Measurement(detection_limit=1e15))
    observation, info = blind.reset(seed=1)
    assert (observation[0], info["burden"], info["detected"]) == (0.0, 0.0, False)
    # A noisy measurement draws from its own stream: the patient is the same one.
    noisy, exact = _env(measurement=Measurement(cv=0.5)), _env()
    noisy.reset(seed=1)
    exact.reset(seed=1)
    measured = [step[4]["burden"] for step in _play(noisy, (0.0,))]
    true = [step[4]["burden"] for step in _play(exact, (0.0,))]
    assert len(measured) == len(true)
    assert measured != true
    assert same(noisy.driver.episode.result, exact.driver.episode.result)
