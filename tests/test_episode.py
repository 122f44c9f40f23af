"""Episodes: a replicate driven decision by decision equals the run the decisions describe."""

from __future__ import annotations

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine.episode import Action, Episode, Measurement, Prescription, decision_days
from tests.test_checkpoint import same

DOSE = Action(doses=(Prescription(kind="anti_pd1", dose=10.0),))


def _patient(horizon: float = 70.0) -> engine.Scenario:
    """The anti-PD-1 example's patient (examples/anti_pd1.yaml), untreated, shorter."""
    return engine.Scenario.build(
        preset="escape2004", horizon_days=horizon, seed=1, escape_threshold=1e9,
        parameters={"dc_supply": 60.0, "priming_rate": 0.1},
        initial={"T": 0.0, "T_p": 1e5},
        mechanisms={"suppression": False, "counterattack": False, "variants": False,
                    "regulation": False},
    )  # fmt: skip


def _drive(episode: Episode, dose_days: tuple[float, ...]) -> list[engine.episode.Observation]:
    seen = [episode.observation] if episode.observation else []
    while not episode.done:
        observation = episode.act(DOSE if episode.day in dose_days else None)
        if observation is not None:
            seen.append(observation)
    return seen


def test_an_episode_without_actions_is_the_plain_replicate() -> None:
    scenario = _patient(horizon=91.0)
    episode = Episode(scenario, 2, every=7, measurement=Measurement(cv=0.5, detection_limit=1e3))
    seen = _drive(episode, ())
    plain = engine.simulate(scenario, 2)
    assert same(episode.result, plain)
    # Untreated, the tumour escapes (day ~69; 91 leaves room): decisions are observed
    # until the outcome, the episode ends at the first decision after it, and its last
    # observation is the horizon's.
    assert episode.result.outcome.kind is engine.OutcomeKind.ESCAPE
    before = [7.0 * k for k in range(13) if 7.0 * k < plain.outcome.time]
    assert [o.day for o in seen] == [*before, 91.0]


def test_a_dose_given_as_an_action_is_the_same_dose_in_the_scenario() -> None:
    scenario = _patient()
    episode = Episode(scenario, 0, every=7)
    _drive(episode, (0.0, 14.0, 28.0))
    listed = scenario.with_changes(
        therapies=[{"kind": "anti_pd1", "at_days": [d], "dose": 10.0} for d in (0, 14, 28)]
    )
    assert episode.scenario == listed
    assert same(episode.result, engine.simulate(listed, 0))
    assert episode.result.outcome != engine.simulate(scenario, 0).outcome


def test_a_scheduled_dose_and_exposure_are_observed() -> None:
    episode = Episode(_patient(), 0, every=7)
    later = Action(doses=(Prescription(kind="anti_pd1", dose=10.0, at_days=(3.0, 10.0)),))
    after = episode.act(later)
    assert after is not None
    assert after.day == 7.0
    # Two doses of 10 mg/kg (days 3, 10) with a 25-day half-life: on day 7 one dose, 4
    # days old: 10·2^(-4/25) = 8.95 mg/kg (the exposure is deterministic).
    assert after.exposures["anti_PD1"] == pytest.approx(10 * 2 ** (-4 / 25), rel=1e-9)
    assert set(after.effectors) == {"CTL", "CTL_sub", "exhausted", "NK"}


def test_measurement_is_its_own_stream_with_a_detection_limit() -> None:
    scenario = _patient(horizon=28.0)
    exact = _drive(Episode(scenario, 0, every=7), ())
    noisy = _drive(Episode(scenario, 0, every=7, measurement=Measurement(cv=0.5)), ())
    ratios = np.array([n.burden / e.burden for n, e in zip(noisy, exact, strict=True)])
    assert not np.allclose(ratios, 1.0)
    assert np.all(ratios > 0)
    blind = _drive(Episode(scenario, 0, every=7, measurement=Measurement(detection_limit=1e15)), ())
    assert all(o.burden == 0.0 and not o.detected for o in blind)


def test_a_token_resumes_the_decision_exactly() -> None:
    scenario = _patient()
    measurement = Measurement(cv=0.3)
    episode = Episode(scenario, 1, every=7, measurement=measurement)
    episode.act(DOSE)
    token = episode.token()
    rest = _drive(episode, (14.0,))
    resumed = Episode.resume(token, every=7, measurement=measurement)
    assert _drive(resumed, (14.0,)) == rest
    assert same(resumed.result, episode.result)


def test_a_bad_action_names_its_fields_and_the_episode_goes_on() -> None:
    episode = Episode(_patient(), 0, every=7)
    episode.act()
    bad = Action(doses=(Prescription(kind="nope"), Prescription(kind="anti_pd1", dose=-1.0,
                                                                 at_days=(3.0,))))  # fmt: skip
    with pytest.raises(engine.ScenarioError) as raised:
        episode.act(bad)
    fields = {v.field for v in raised.value.violations}
    assert fields == {"doses[0].kind", "doses[1].dose", "doses[1].at_days[0]"}
    assert episode.day == 7.0
    assert episode.act(DOSE) is not None


def test_decision_days_fall_on_sampling_days() -> None:
    assert decision_days(_patient(), 7) == tuple(float(d) for d in range(0, 70, 7))
    coarse = _patient().with_changes(interval_days=2.0)
    with pytest.raises(engine.ScenarioError, match="every_days"):
        decision_days(coarse, 7)
