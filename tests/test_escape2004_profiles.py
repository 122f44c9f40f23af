"""Species profiles: named parameter sets selected by a scenario's ``profile`` field.

Checked: each profile's values are parameters of escape2004 within their bounds; a
profile replaces the defaults and explicit parameters still win; validation names the
``profile`` field (an unknown name, a preset without profiles) in the engine, the CLI and
over a real gRPC server; and the profile's PK does what the species predicts (common
random numbers: the same seed and replicate in each arm).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from escapesim.engine import Scenario, ScenarioError
from escapesim.engine.presets.escape2004 import NETWORK
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.api.convert.runs import scenario_from_proto, scenario_to_proto
from escapesim.service.cli import main
from tests.escape2004_support import runs, scenario, therapy, tumour
from tests.hostile_support import hostile_server, raw_call, violations

METHODS = {m.name: m for m in rpc.METHODS}


def test_every_profile_value_is_a_parameter_within_its_bounds() -> None:
    assert {p.name for p in NETWORK.profiles} == {"mouse", "human"}
    for profile in NETWORK.profiles:
        for name, value in profile.values.items():
            spec = NETWORK.parameter(name)
            assert spec is not None, f"{profile.name}: {name}"
            assert spec.lower <= value <= spec.upper, f"{profile.name}: {name}"


def test_a_profile_replaces_defaults_and_given_parameters_win() -> None:
    plain = scenario()
    human = scenario(profile="human", parameters={"nk_death": 0.2})
    assert plain.profile == ""
    assert "profile" not in plain.to_dict()
    assert human.parameters["division_rate"] == 0.154
    assert human.parameters["anti_pd1_half_life"] == 25.0
    assert human.parameters["nk_death"] == 0.2  # given beats the profile
    assert human.parameters["priming_rate"] == plain.parameters["priming_rate"]  # shared
    assert Scenario.from_dict(human.to_dict()) == human
    assert scenario_from_proto(scenario_to_proto(human)) == human


@pytest.mark.parametrize(
    ("preset", "profile", "message"),
    [
        ("escape2004", "rat", "unknown profile 'rat'; escape2004 offers mouse, human"),
        ("kuznetsov1994", "mouse", "preset 'kuznetsov1994' has no profiles"),
    ],
)
def test_validation_names_the_profile_field(preset: str, profile: str, message: str) -> None:
    with pytest.raises(ScenarioError) as error:
        Scenario.build(preset=preset, profile=profile)
    assert [(v.field, v.message) for v in error.value.violations] == [("profile", message)]


def test_a_profile_that_is_not_a_string_names_the_field() -> None:
    with pytest.raises(ScenarioError) as error:
        Scenario.from_dict({"preset": "escape2004", "profile": 3})
    assert [v.field for v in error.value.violations] == ["profile"]


def test_mouse_pk_clears_anti_pd1_within_weeks_not_months() -> None:
    # One 10 mg/kg dose; blocked share C/(C + EC50) with C = 10·2^(−t/t½), EC50 0.1:
    # > 50 % while t < t½·log2(100): ~166 days at the human 25 d, ~46 days at mouse 7 d.
    dose = [therapy("anti_pd1", [0.0], 10.0)]
    for profile, low, high in (("mouse", 40, 52), ("human", 150, 180)):
        s = scenario(profile=profile, therapies=dose, horizon_days=200.0,
                     initial={"T": 0.0, "T_p": 1e3}, mechanisms={"priming": False})  # fmt: skip
        exposure = runs(s, 1)[0].trajectory["anti_PD1"]
        days_blocked = int(np.sum(exposure > s.parameters["anti_pd1_ec50"]))
        assert low <= days_blocked <= high, (profile, days_blocked)


def test_the_human_tumour_grows_slower_than_the_mouse_tumour() -> None:
    # Tumour alone (no immune response): net 0.18/day (mouse) vs 0.0116/day (human): over
    # 30 days ×221 vs ×1.42; asked within a factor 2 either way (ε-leaps and noise ≪ that).
    alone = {"presentation": False, "priming": False, "cytotoxicity": False, "variants": False}
    growth = {}
    for profile in ("mouse", "human"):
        s = scenario(profile=profile, initial={"T": 1e5}, mechanisms=alone, horizon_days=30.0)
        growth[profile] = tumour(runs(s, 1)[0])[-1] / 1e5
    assert 221 / 2 < growth["mouse"] < 221 * 2
    assert 1.42 / 2 < growth["human"] < 1.42 * 2


def test_the_cli_flag_selects_a_profile_and_names_the_field_when_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = ["simulate", "--preset", "escape2004", "--horizon", "2", "--json"]
    assert main([*command, "--profile", "human"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "human"
    assert report["parameters"]["division_rate"] == 0.154
    assert main([*command, "--profile", "rat"]) != 0
    assert "profile (--profile rat): unknown profile 'rat'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[grpc.Channel]:
    with (
        hostile_server(tmp_path_factory.mktemp("profiles") / "data") as running,
        grpc.insecure_channel(running.address) as opened,
    ):
        yield opened


def test_a_real_server_applies_a_profile_and_names_the_field_of_an_unknown_one(
    channel: grpc.Channel,
) -> None:
    method = METHODS["ValidateScenario"]
    good = pb.ValidateScenarioRequest(scenario=pb.Scenario(preset="escape2004", profile="human"))
    body = channel.unary_unary(method.path)(good.SerializeToString(), timeout=10.0)
    answer = pb.ValidateScenarioResponse.FromString(body)
    assert answer.scenario.profile == "human"
    assert answer.scenario.parameters["division_rate"] == 0.154
    bad = pb.ValidateScenarioRequest(scenario=pb.Scenario(preset="escape2004", profile="rat"))
    error = raw_call(channel, method, bad.SerializeToString())
    assert error is not None
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in violations(error)] == ["scenario.profile"]


def test_the_human_profile_applies_human_treg_turnover_and_il2_clearance() -> None:
    human = scenario(profile="human")
    assert human.parameters["treg_death"] == 0.0866  # ln 2 / 8 days, Vukmanovic-Stejic 2006
    assert human.parameters["il2_decay"] == 11.7  # ln 2 / 85 min, Konrad et al. 1990
    assert scenario(profile="mouse").parameters["treg_death"] == 0.05  # mouse = defaults


def test_human_treg_turnover_shrinks_the_resting_treg_pool() -> None:
    # No tumour: Tregs are an immigration-death process, stationary Poisson with mean
    # s_R/d_R = 5/0.05 = 100 (mouse) and 5/0.0866 = 57.7 (human; from 100 at day 0 it
    # relaxes as e^(−0.0866 t), < 0.01 cells left by day 100). Mean over days 100-200 of
    # one run: variance ≈ λ·2/(d·100) gives sd 6.3 (mouse), 3.7 (human); ±25 % is ≥ 3.9 sd.
    pools = {}
    for profile in ("mouse", "human"):
        s = scenario(profile=profile, initial={"T": 0.0}, horizon_days=200.0)
        pools[profile] = float(np.mean(runs(s, 1)[0].trajectory["Treg"][100:]))
    assert abs(pools["mouse"] / 100.0 - 1.0) < 0.25, pools
    assert abs(pools["human"] / 57.7 - 1.0) < 0.25, pools
    assert pools["human"] < pools["mouse"]


def test_a_default_human_profile_run_is_valid() -> None:
    # The human values together (slow growth, faster Treg and IL-2 loss) still make a run
    # whose every population and concentration is finite and non-negative.
    result = runs(scenario(profile="human", horizon_days=60.0), 1)[0]
    for name, values in result.trajectory.items():
        assert np.all(np.isfinite(values)), name
        assert np.all(values >= 0.0), name


def test_the_docs_profiles_table_equals_the_code() -> None:
    # docs/escape2004.md "Profiles": | `name` | default | mouse | human | source |; a
    # profile value changed in code cannot leave the docs behind.
    doc = (Path(__file__).resolve().parent.parent / "docs" / "escape2004.md").read_text()
    table = doc.split("| parameter | default | mouse | human | source |", 1)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        found = re.match(r"\| `(\w+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \|", line)
        if not found:
            break
        rows[found[1]] = tuple(float(v) for v in found.group(2, 3, 4))
    profiles = {p.name: p.values for p in NETWORK.profiles}
    names = set(profiles["mouse"]) | set(profiles["human"])
    assert set(rows) == names
    for name in names:
        default = NETWORK.parameter(name)
        assert default is not None, name
        code = tuple(
            profiles[p].get(name, default.default) for p in ("mouse", "human")
        )
        assert rows[name] == (default.default, *code), name
