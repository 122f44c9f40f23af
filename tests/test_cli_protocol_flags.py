"""``escapesim simulate --therapy`` and ``--mechanism`` (issue 4, "Therapies (timed events)").

A protocol given as flags must be the same scenario as the same protocol in a file, be
validated with the flag named in every message, and reach a server unchanged. Runs use
escape2004 over 20 days so that each takes well under a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from escapesim.service.cli import main
from escapesim.service.testing import ServerProcess

RUN = ["simulate", "--preset", "escape2004", "--horizon", "20", "--seed", "5", "--json"]
PD1 = "anti_pd1:at=2,9,16:dose=10"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def document(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def test_therapy_flag_is_the_same_scenario_as_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "pd1.yaml"
    therapy = {"kind": "anti_pd1", "at_days": [2, 9, 16], "dose": 10}
    scenario.write_text(yaml.safe_dump({"preset": "escape2004", "therapies": [therapy]}))
    from_flag = document(capsys, *RUN, "--therapy", PD1)
    from_file = document(capsys, *RUN, "--scenario", str(scenario))
    untreated = document(capsys, *RUN)
    assert from_flag == from_file
    assert from_flag["therapies"] == [{**therapy, "at_days": [2.0, 9.0, 16.0], "parameters": {}}]
    # The antibody acts: the same seed without it ends somewhere else.
    assert from_flag["replicates"][0]["final"] != untreated["replicates"][0]["final"]


def test_therapy_flags_follow_the_files_therapies_and_repeat(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "chemo.yaml"
    chemo = {"kind": "chemotherapy", "at_days": [1], "dose": 1}
    scenario.write_text(yaml.safe_dump({"preset": "escape2004", "therapies": [chemo]}))
    found = document(
        capsys, *RUN, "--scenario", str(scenario), "--therapy", PD1, "--therapy", "il2:at=3"
    )
    assert [t["kind"] for t in found["therapies"]] == ["chemotherapy", "anti_pd1", "il2"]
    assert found["therapies"][2]["dose"] == 1.0  # the default dose


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("anti_pd1", "at=DAY,DAY,... is required"),
        (":at=1", "expected KIND:at=DAY,DAY,...[:dose=X]"),
        ("anti_pd1:at=1,x", "at: 'x' is not a number"),
        ("anti_pd1:at=1:dose=nan", "dose: must be a finite number"),
        ("anti_pd1:at=1:at=2", "'at' given twice"),
        ("anti_pd1:at=1:10", "'10' is not KEY=VALUE"),
        # Values are the engine's to judge; the message names the field and the flag.
        ("anti_pd1:at=1,30", "therapies[0].at_days[1] (--therapy anti_pd1:at=1,30): must be"),
        ("anti_pd1:at=1:dose=-1", "therapies[0].dose (--therapy anti_pd1:at=1:dose=-1): must"),
        ("antipd1:at=1", "therapies[0].kind (--therapy antipd1:at=1): unknown therapy"),
        ("il2:at=1:half=2", "therapies[0].parameters.half (--therapy il2:at=1:half=2): unknown"),
    ],
)
def test_bad_therapy_flags_name_the_flag_and_exit_2(
    capsys: pytest.CaptureFixture[str], flag: str, message: str
) -> None:
    status, out, err = run(capsys, *RUN, "--therapy", flag)
    assert status == 2
    assert out == ""
    assert f"--therapy {flag}" in err
    assert message in err


def test_mechanism_flag_switches_a_mechanism(capsys: pytest.CaptureFixture[str]) -> None:
    on = document(capsys, *RUN)
    off = document(capsys, *RUN, "--mechanism", "cytotoxicity=off")
    assert on["mechanisms"]["cytotoxicity"] is True
    assert off["mechanisms"] == {**on["mechanisms"], "cytotoxicity": False}
    kills = [k for k in on["replicates"][0]["counters"] if k.startswith("ctl_kill")]
    assert sum(on["replicates"][0]["counters"][k] for k in kills) > 0
    assert sum(off["replicates"][0]["counters"][k] for k in kills) == 0


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("counterattack", "expected NAME=on or NAME=off"),
        ("counterattack=maybe", "expected NAME=on or NAME=off"),
        ("fas=off", "mechanisms.fas (--mechanism fas=off): unknown mechanism"),
    ],
)
def test_bad_mechanism_flags_name_the_flag_and_exit_2(
    capsys: pytest.CaptureFixture[str], flag: str, message: str
) -> None:
    status, _, err = run(capsys, *RUN, "--mechanism", flag)
    assert status == 2
    assert message in err


def test_a_server_runs_the_flag_protocol_unchanged(
    capsys: pytest.CaptureFixture[str], escapesim_server: ServerProcess
) -> None:
    protocol = ("--therapy", PD1, "--mechanism", "counterattack=off")
    local = document(capsys, *RUN, *protocol)
    remote = document(capsys, *RUN, *protocol, "--server", escapesim_server.address)
    assert remote["replicates"] == local["replicates"]
