"""``escapesim ensemble`` end to end on a tiny ensemble (issue 5, "Ensembles").

kuznetsov1994 over 12 days, 2 grid points (initial tumour) × 2 arms × 3 replicates: the
whole file runs in seconds, one test with a spawned pool of 2 workers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from escapesim.engine.ensemble import Ensemble
from escapesim.service.cli import main, on_server
from escapesim.service.cli.ensemble import load_ensemble

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = """\
# A tiny ensemble: YAML 1.2 floats (1e5) are numbers here, as in scenario files.
scenario: {preset: kuznetsov1994, horizon_days: 12, seed: 3, escape_threshold: 2e8}
replicates: 3
grid:
  initial:
    T: [1e5, 1e8]
arms:
  - {name: untreated}
  - {name: strong, parameters: {n: 3e-7}}
"""
CELLS, REPLICATES, SAMPLES = 4, 3, 13


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["ensemble", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_an_ensemble_writes_tables_summary_and_figure(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, png = tmp_path / "out", tmp_path / "figure.png"
    status, stdout, stderr = run(capsys, str(tiny), "--out", str(out), "--plot", str(png), "--json")
    assert status == 0, stderr
    document = json.loads(stdout)
    assert [(c["point"], c["arm"]) for c in document["cells"]] == [
        (0, "untreated"), (0, "strong"), (1, "untreated"), (1, "strong"),
    ]  # fmt: skip
    assert document["points"] == [
        {"point": 0, "values": {"initial.T": 1e5}},
        {"point": 1, "values": {"initial.T": 1e8}},
    ]
    untreated, strong = document["cells"][2], document["cells"][3]
    assert untreated["versus_control"] is None
    assert sum(o["count"] for o in untreated["outcomes"].values()) == REPLICATES
    assert set(strong["versus_control"]) == {"escape", "elimination", "equilibrium"}
    assert json.loads((out / "summary.json").read_text()) == document

    trajectories = pq.read_table(out / "trajectories.parquet")
    assert trajectories.column_names == ["point", "arm", "replicate", "t", "E", "T"]
    assert trajectories.num_rows == CELLS * REPLICATES * SAMPLES
    outcomes = pq.read_table(out / "outcomes.parquet").to_pylist()
    assert len(outcomes) == CELLS * 3
    assert outcomes[0]["initial.T"] == 1e5
    assert {row["outcome"] for row in outcomes} == {"escape", "elimination", "equilibrium"}
    assert all(row["difference"] is None for row in outcomes if row["arm"] == "untreated")
    replicates = pq.read_table(out / "replicates.parquet")
    assert replicates.column_names[:5] == ["point", "arm", "replicate", "outcome", "outcome_time"]
    assert replicates.num_rows == CELLS * REPLICATES
    bands = pq.read_table(out / "bands.parquet")
    assert bands.column_names == ["point", "arm", "series", "t", "q05", "q25", "q50", "q75", "q95"]
    assert set(bands.column("series").to_pylist()) == {"E", "T", "tumour"}
    # No knock-out arms: the attribution table is there, with its columns and no rows.
    attribution = pq.read_table(out / "attribution.parquet")
    assert attribution.num_rows == 0
    assert attribution.column_names[:4] == ["point", "arm", "mechanism", "initial.T"]
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert "wrote" in stderr


def test_the_text_summary_shows_probabilities_and_differences(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stdout, _ = run(capsys, str(tiny), "--replicates", "2")
    assert status == 0
    lines = stdout.splitlines()
    assert lines[0].startswith("kuznetsov1994: 2 grid points × 2 arms × 2 replicates")
    assert len(lines) == 1 + CELLS
    assert "Δescape" in lines[2]
    assert "Δescape" not in lines[1]


KNOCKOUTS = """\
scenario: {preset: escape2004, initial: {T: 0, T_ps: 1e4}, horizon_days: 90, seed: 1}
replicates: 6
arms: [{name: intact}]
knockouts: [suppression, dysfunction]
"""


def test_knock_out_arms_print_and_write_their_attribution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The escape example's founder escapes near day 65 in every replicate; knocking
    # suppression out delays each escape (tests/test_knockouts.py: 3.6–11.6 days in every
    # one of 24 replicates), dysfunction's knock-out moves it by < 1 day either way.
    path, out = tmp_path / "knockouts.yaml", tmp_path / "out"
    path.write_text(KNOCKOUTS, encoding="utf-8")
    status, stdout, stderr = run(capsys, str(path), "--out", str(out))
    assert status == 0, stderr
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("attribution:"))
    suppression, dysfunction = lines[start + 1 :]
    assert suppression.startswith("  point 0 suppression off: Δescape +0.00")
    assert "delayed 6 hastened 0 caused 0 of 6 (100% delayed or prevented" in suppression
    assert dysfunction.startswith("  point 0 dysfunction off:")
    rows = pq.read_table(out / "attribution.parquet").to_pylist()
    assert [(r["arm"], r["mechanism"]) for r in rows] == [
        ("suppression_off", "suppression"), ("dysfunction_off", "dysfunction"),
    ]  # fmt: skip
    assert rows[0]["delayed"] == rows[0]["delay_pairs"] == 6
    assert rows[0]["delay_median"] >= 2.0  # every delay is > 3.6 days (above)
    # Six delayed of six: 2·(½)^6 = 1/32, and the six delays' 95% interval is their range.
    assert rows[0]["sign_test_p"] == pytest.approx(1 / 32)
    assert 0 < rows[0]["delay_lower"] <= rows[0]["delay_median"] <= rows[0]["delay_upper"]
    assert abs(rows[1]["delay_median"]) < 1.0
    # The summary document carries the same numbers per knock-out cell (JSON: ±∞ → null).
    cells = json.loads((out / "summary.json").read_text())["cells"]
    assert [c["attribution"] is None for c in cells] == [True, False, False]
    document = cells[1]["attribution"]
    assert document["kinds"]["delayed"] == 6
    assert document["delay"]["median"] == rows[0]["delay_median"]
    assert document["escape_difference"]["difference"] == rows[0]["escape_difference"]


def test_one_worker_and_two_workers_write_identical_parquet(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert run(capsys, str(tiny), "--out", str(one))[0] == 0
    assert run(capsys, str(tiny), "--out", str(two), "--workers", "2")[0] == 0
    for name in ("trajectories", "replicates", "outcomes", "bands"):
        first, second = (pq.read_table(d / f"{name}.parquet") for d in (one, two))
        assert first.equals(second), name
        assert (one / f"{name}.parquet").read_bytes() == (two / f"{name}.parquet").read_bytes()
    assert (one / "summary.json").read_text() == (two / "summary.json").read_text()


def test_bad_input_names_every_field_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenario: {preset: escape2004, horizon_days: 30}\n"
        "grid: {parameters: {nope: [1]}, initial: {T: [10, -5]}}\n"
        "arms:\n"
        "  - {name: untreated}\n"
        "  - {name: pd1, therapies: [{kind: anti_pd1, at_days: [-1]}]}\n",
        encoding="utf-8",
    )
    out, png = tmp_path / "out", tmp_path / "figure.png"
    status, stdout, stderr = run(capsys, str(bad), "--out", str(out), "--plot", str(png))
    assert status == 2
    assert stdout == ""
    for field in ("grid.parameters.nope", "grid.initial.T[1]", "arms[1].therapies[0].at_days[0]"):
        assert f"escapesim ensemble: error: {bad}: {field}: " in stderr, field
    assert not out.exists()
    assert not png.exists()


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        (["--workers", "0"], "--workers 0: must be within [1, 64]"),
        (["--replicates", "0"], "--replicates 0: replicates: must be a whole number in [1,"),
        (["--series", "Q"], "--series Q: not a series of preset 'kuznetsov1994'"),
        (["--plot", "/nonexistent/figure.png"], "--plot /nonexistent/figure.png: directory"),
        (["--out", "/nonexistent/deeper/out"], "--out /nonexistent/deeper/out: directory"),
    ],
)
def test_bad_flags_exit_2(
    tiny: Path, capsys: pytest.CaptureFixture[str], flags: list[str], problem: str
) -> None:
    status, _, stderr = run(capsys, str(tiny), *flags)
    assert status == 2
    assert problem in stderr


def test_unreadable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    status, _, stderr = run(capsys, str(missing))
    assert status == 2
    assert f"{missing}: cannot read the file" in stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("scenario: [unclosed", encoding="utf-8")
    assert run(capsys, str(broken))[0] == 2


def test_server_hands_the_validated_ensemble_to_the_remote_client(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[argparse.Namespace, Ensemble]] = []

    def ensemble(args: argparse.Namespace, ensemble: Ensemble) -> int:
        received.append((args, ensemble))
        return 0

    monkeypatch.setattr(on_server, "ensemble", ensemble)
    assert run(capsys, str(tiny), "--server", "localhost:1")[0] == 0
    ((args, sent),) = received
    assert args.server == "localhost:1"
    assert sent.size == CELLS


@pytest.mark.parametrize(
    "path", sorted(Path(__file__).parent.parent.joinpath("examples").glob("ensemble_*.yaml"))
)
def test_every_example_ensemble_is_valid(path: Path) -> None:
    ensemble = load_ensemble(str(path))
    assert ensemble.size >= 2
