"""The local CLI: ``escapesim presets`` and ``escapesim simulate`` (issue 2, "The CLI").

Most tests run the command in-process through ``escapesim.service.cli.main``; a few run the real
``escapesim`` console script. Runs use ``kirschner_panetta1998`` (populations E, T and the
IL-2 concentration I) over a short horizon so that the whole file takes seconds.
"""

from __future__ import annotations

import inspect
import json
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from escapesim import engine
from escapesim.service.cli import main

PRESET = "kirschner_panetta1998"
#: A short run: 15 days sampled daily (16 rows per replicate).
RUN = ["simulate", "--preset", PRESET, "--horizon", "15", "--seed", "11"]
SAMPLES = 16
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (status, stdout, stderr)."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def simulate_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    status, out, err = run(capsys, *RUN, "--json", *extra)
    assert status == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first chunk, right after the signature)."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE
    assert header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


# -- presets -------------------------------------------------------------------------------


def test_presets_lists_every_preset_with_parameters_and_species(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "presets")
    assert status == 0
    for net in engine.catalog():
        assert net.name in out
        for name in [p.name for p in net.parameters] + [s.name for s in net.species]:
            assert f"\n    {name} " in out, name
        # How the ODE terms were split into channels is shown (here: its last line).
        assert inspect.cleandoc(net.splitting).splitlines()[-1] in out


def test_presets_json_gives_defaults_units_bounds_and_initial_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "presets", "--json")
    assert status == 0
    listed = {entry["name"]: entry for entry in json.loads(out)}
    assert set(listed) == {net.name for net in engine.catalog()}
    kp = listed[PRESET]
    c = next(p for p in kp["parameters"] if p["name"] == "c")
    assert (c["default"], c["unit"], c["lower"], c["upper"]) == (0.035, "1/day", 0.0, 10.0)
    assert [(s["name"], s["initial"]) for s in kp["species"]] == [("E", 1.0), ("T", 100.0)]
    assert [s["name"] for s in kp["concentrations"]] == ["I"]
    assert kp["citation"]
    assert kp["title"]


def test_presets_show_each_profile_with_its_values(capsys: pytest.CaptureFixture[str]) -> None:
    network = next(n for n in engine.catalog() if n.name == "escape2004")
    status, out, _ = run(capsys, "presets", "escape2004")
    assert status == 0
    for profile in network.profiles:
        assert f"\n    {profile.name}: {profile.description}\n" in out
    assert "division_rate=0.154" in out  # the human profile's tumour cell division
    status, out, _ = run(capsys, "presets", "escape2004", "--json")
    (entry,) = json.loads(out)
    assert entry["profiles"] == [
        {"name": p.name, "description": p.description, "values": dict(p.values)}
        for p in network.profiles
    ]
    status, out, _ = run(capsys, "presets", "kuznetsov1994", "--json")
    assert json.loads(out)[0]["profiles"] == []


def test_presets_one_by_name_and_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "presets", "kuznetsov1994")
    assert status == 0
    assert "kuznetsov1994" in out
    assert PRESET not in out
    status, out, err = run(capsys, "presets", "nope")
    assert status == 2
    assert "'nope'" in err
    assert out == ""


# -- simulate: what it produces ---------------------------------------------------------------


def test_simulate_json_is_one_document_with_every_replicate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = simulate_json(capsys, "--replicates", "3", "--set", "T=200")
    assert document["preset"] == PRESET
    assert document["seed"] == 11
    assert document["parameters"]["c"] == 0.035
    assert document["initial"]["T"] == 200
    replicates = document["replicates"]
    assert [r["replicate"] for r in replicates] == [0, 1, 2]
    for entry in replicates:
        assert entry["outcome"] in {"elimination", "equilibrium", "escape"}
        assert entry["outcome_time"] is None or 0 <= entry["outcome_time"] <= 15
        assert set(entry["final"]) == {"E", "T", "I"}
        assert isinstance(entry["final"]["T"], int)
        assert entry["counters"]["tumour_division"] > 0
    assert sum(document["outcomes"].values()) == 3


def test_simulate_without_json_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *RUN, "--replicates", "2")
    assert status == 0
    assert "2 replicates, 15 days" in out
    assert "outcomes:" in out


def test_out_writes_parquet_with_replicate_t_and_one_column_per_species(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "run.parquet"
    status, _, err = run(capsys, *RUN, "--replicates", "3", "--out", str(out))
    assert status == 0, err
    table = pq.read_table(out)
    assert table.column_names == ["replicate", "t", "E", "T", "I"]
    assert table.num_rows == 3 * SAMPLES
    assert [str(t) for t in table.schema.types] == ["int32", "double", "int64", "int64", "double"]
    assert table.column("replicate").to_pylist() == [k for k in range(3) for _ in range(SAMPLES)]
    assert table.column("t").to_pylist()[:SAMPLES] == [float(d) for d in range(SAMPLES)]
    assert table.column("T").to_pylist()[0] == 100
    assert list(tmp_path.iterdir()) == [out], "no temporary file is left behind"


def test_plot_writes_a_png_of_sensible_size(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    figure = tmp_path / "run.png"
    status, _, err = run(capsys, *RUN, "--replicates", "3", "--plot", str(figure))
    assert status == 0, err
    width, height = png_size(figure)
    assert 600 <= width <= 2000
    assert 600 <= height <= 3000  # three panels, one per species
    assert figure.stat().st_size > 20_000


def test_zero_switches_a_process_off(capsys: pytest.CaptureFixture[str]) -> None:
    document = simulate_json(capsys, "--set", "r2=0", "--set", "E=0", "--set", "c=0")
    (replicate,) = document["replicates"]
    assert document["parameters"]["r2"] == 0
    assert replicate["final"]["T"] == 100, "no growth and no killing: the tumour stays put"
    assert replicate["counters"]["tumour_division"] == 0


def test_a_tumour_set_to_zero_is_eliminated_at_day_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (replicate,) = simulate_json(capsys, "--set", "T=0")["replicates"]
    assert (replicate["outcome"], replicate["outcome_time"]) == ("elimination", 0.0)


def test_escape_threshold_is_settable(capsys: pytest.CaptureFixture[str]) -> None:
    document = simulate_json(capsys, "--set", "escape_threshold=1000")
    (replicate,) = document["replicates"]
    assert document["escape_threshold"] == 1000
    assert replicate["outcome"] == "escape"
    assert 0 < replicate["outcome_time"] < 15


# -- the scenario file ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_scenario_file_runs_like_the_same_flags(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    scenario = engine.Scenario.build(
        preset=PRESET, parameters={"c": 0.02}, horizon_days=15, seed=11, replicates=2
    )
    path = tmp_path / f"scenario{suffix}"
    dump = json.dumps if suffix == ".json" else yaml.safe_dump
    path.write_text(dump(scenario.to_dict()))
    from_file = simulate_json(capsys, "--scenario", str(path))
    from_flags = simulate_json(capsys, "--replicates", "2", "--set", "c=0.02")
    assert from_file == from_flags


def test_flags_override_the_scenario_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "scenario.yaml"
    # Written by hand: `1e3` (no dot) must be read as a number, not YAML 1.1's string.
    path.write_text(f"preset: {PRESET}\nseed: 5\nhorizon_days: 15\ninitial:\n  T: 1e3\n")
    document = simulate_json(capsys, "--scenario", str(path), "--seed", "6")
    assert document["seed"] == 6
    assert document["initial"]["T"] == 1000


# -- bad input: exit 2, the field named, nothing written ---------------------------------------


def scenario_file(text: str) -> Callable[[Path], list[str]]:
    """Bad-input case: a scenario file holding ``text`` (preset from the flags)."""

    def arguments(directory: Path) -> list[str]:
        path = directory / "bad.yaml"
        path.write_text(text)
        return ["--scenario", str(path)]

    return arguments


def flags(*argv: str) -> Callable[[Path], list[str]]:
    """Bad-input case: extra flags (``{dir}`` stands for the test's directory)."""
    return lambda directory: [a.replace("{dir}", str(directory)) for a in argv]


BAD_INPUT = {
    "unknown name": (flags("--set", "nope=1"), "'nope' is not a parameter"),
    "not a number": (flags("--set", "c=abc"), "--set c=abc: parameters.c: 'abc' is not a number"),
    "nan": (flags("--set", "c=nan"), "parameters.c: must be a finite number"),
    "infinite population": (flags("--set", "T=inf"), "initial.T: must be a finite number"),
    "negative rate": (flags("--set", "c=-0.1"), "parameters.c (--set c=-0.1): must be within"),
    "rate above bound": (flags("--set", "c=11"), "parameters.c (--set c=11): must be within"),
    "negative population": (flags("--set", "T=-3"), "initial.T (--set T=-3): must be within"),
    "fractional cells": (flags("--set", "E=1.5"), "initial.E (--set E=1.5): must be a whole"),
    "negative concentration": (flags("--set", "I=-1"), "initial.I (--set I=-1)"),
    "no value": (flags("--set", "c"), "--set c: expected NAME=VALUE"),
    "threshold below one cell": (flags("--set", "escape_threshold=0"), "escape_threshold"),
    "zero horizon": (flags("--horizon", "0"), "horizon_days (--horizon 0.0): must be > 0"),
    "horizon not a number": (flags("--horizon", "soon"), "--horizon: 'soon' is not a number"),
    "infinite horizon": (flags("--horizon", "inf"), "horizon_days (--horizon inf)"),
    "horizon too long": (flags("--horizon", "1e6"), "horizon_days"),
    "negative interval": (flags("--interval", "-1"), "interval_days (--interval -1.0)"),
    "too many samples": (flags("--interval", "1e-7"), "interval_days"),
    "negative seed": (flags("--seed", "-1"), "seed (--seed -1)"),
    "fractional seed": (flags("--seed", "1.5"), "--seed: '1.5' is not a whole number"),
    "zero replicates": (flags("--replicates", "0"), "replicates (--replicates 0)"),
    "replicates not a number": (flags("--replicates", "x"), "--replicates: 'x' is not a whole"),
    "negative first replicate": (flags("--first-replicate", "-1"), "--first-replicate -1"),
    "unknown preset": (flags("--preset", "nope"), "preset: unknown preset 'nope'"),
    "missing scenario file": (flags("--scenario", "{dir}/none.yaml"), "--scenario"),
    "scenario file not YAML": (scenario_file("seed: [1,\n"), "not valid YAML"),
    "scenario file not a mapping": (scenario_file("- 1\n- 2\n"), "must hold a mapping"),
    "scenario file unknown field": (
        scenario_file("colour: red\n"),
        "colour (in {dir}/bad.yaml): unknown",
    ),
    "scenario file bad parameter": (
        scenario_file("parameters: {c: -1}\n"),
        "parameters.c (in {dir}/bad.yaml): must be within",
    ),
    "scenario file wrong type": (scenario_file("interval_days: soon\n"), "interval_days (in"),
    "out in a missing directory": (flags("--out", "{dir}/no/such/run.parquet"), "--out"),
    "out is a directory": (flags("--out", "{dir}"), "is a directory"),
    "plot same as out": (
        flags("--out", "{dir}/x.parquet", "--plot", "{dir}/x.parquet"),
        "--plot {dir}/x.parquet: the same file as --out",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT.keys())
def test_bad_input_exits_2_names_the_field_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    make, expected = BAD_INPUT[case]
    workdir = tmp_path / "work"
    workdir.mkdir()
    extra = make(workdir)
    before = sorted(workdir.rglob("*"))
    # --out/--plot come first so that a case's own --out/--plot overrides them.
    outputs = ["--out", str(workdir / "run.parquet"), "--plot", str(workdir / "run.png")]
    status, out, err = run(capsys, *RUN, *outputs, *extra)
    assert status == 2
    assert expected.replace("{dir}", str(workdir)) in err
    assert out == ""
    assert sorted(workdir.rglob("*")) == before, "nothing is written"


def test_missing_preset_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "simulate", "--horizon", "5")
    assert status == 2
    assert "--preset: required" in err


def test_every_problem_is_reported_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, *RUN, "--set", "c=-1", "--set", "zz=1", "--replicates", "0")
    assert status == 2
    for field in ("parameters.c", "'zz'", "replicates"):
        assert field in err


# -- determinism and independence -----------------------------------------------------------------


def test_same_seed_gives_identical_parquet_bytes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths = [tmp_path / f"{name}.parquet" for name in ("a", "b", "other_seed")]
    for path, seed in zip(paths, ("11", "11", "12"), strict=True):
        status, _, err = run(capsys, *RUN, "--replicates", "2", "--seed", seed, "--out", str(path))
        assert status == 0, err
    first, second, other = (p.read_bytes() for p in paths)
    assert first == second
    assert first != other


def test_replicate_k_alone_equals_replicate_k_of_a_larger_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    larger, alone = tmp_path / "larger.parquet", tmp_path / "alone.parquet"
    assert run(capsys, *RUN, "--replicates", "4", "--out", str(larger))[0] == 0
    status = run(capsys, *RUN, "--first-replicate", "2", "--replicates", "1", "--out", str(alone))
    assert status[0] == 0
    whole = pq.read_table(larger).to_pandas()
    single = pq.read_table(alone).to_pandas()
    third = whole[whole["replicate"] == 2].reset_index(drop=True)
    assert single["replicate"].unique().tolist() == [2]
    assert third.equals(single)
    assert not third.equals(whole[whole["replicate"] == 1].reset_index(drop=True))


# -- progress, the server hand-off and the real console script ---------------------------------


def test_progress_bar_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, quiet = run(capsys, *RUN, "--replicates", "2", "--json")
    assert "replicates" not in quiet
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _, out, shown = run(capsys, *RUN, "--replicates", "2", "--json")
    assert "replicates" in shown
    json.loads(out)  # the bar never reaches standard output


def test_server_hands_the_validated_scenario_to_the_remote_client(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from escapesim.service.cli import on_server

    received: list[engine.Scenario] = []

    def fake(args: Any, scenario: engine.Scenario) -> int:
        received.append(scenario)
        return 0

    monkeypatch.setattr(on_server, "simulate", fake)
    assert run(capsys, *RUN, "--set", "c=0.02", "--server", "localhost:1")[0] == 0
    assert [s.parameters["c"] for s in received] == [0.02]
    assert run(capsys, *RUN, "--set", "c=-1", "--server", "localhost:1")[0] == 2
    assert len(received) == 1, "bad input never reaches the server"


def escapesim(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (in the same virtual environment as the tests)."""
    script = Path(sys.executable).with_name("escapesim")
    assert script.exists(), "install the package (`pip install -e .`) to get `escapesim`"
    return subprocess.run(
        [str(script), *argv], capture_output=True, text=True, timeout=120, check=False
    )


def test_console_script_runs_and_keeps_stdout_pure_json(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    done = escapesim(*RUN, "--replicates", "2", "--json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["replicates"]) == 2
    assert "%|" not in done.stderr, "no progress bar when stderr is not a terminal"
    assert pq.read_table(out).num_rows == 2 * SAMPLES


def test_console_script_rejects_bad_input_with_status_2(tmp_path: Path) -> None:
    done = escapesim(*RUN, "--set", "s1=-5", "--out", str(tmp_path / "run.parquet"))
    assert done.returncode == 2
    assert "parameters.s1 (--set s1=-5)" in done.stderr
    assert list(tmp_path.iterdir()) == []
