"""The figures' structure: panels named in words with units, grouped by role, the escape
threshold, outcome and dose days marked, legends for bands and arms, colours with meaning,
Kaplan–Meier curves with the log-rank test, and a readable grid axis.

Structure, not pixels: each test builds a figure from real simulations and reads its
axes' titles, labels, legend entries and line data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from escapesim import engine
from escapesim.engine.ensemble import Axis, Ensemble
from escapesim.service.results import ensemble_tables, figure_style, grid_axis, survival, tables
from escapesim.service.results.ensemble_plot import ensemble_figure
from escapesim.service.results.plot import plot_trajectories, trajectories_figure
from escapesim.service.workers.scenarios import simulate_here


def run(scenario: engine.Scenario) -> tuple[pa.Table, list[tuple[str, float | None]]]:
    results = [engine.simulate(scenario, replicate=k) for k in range(scenario.replicates)]
    outcomes = [(str(r.outcome.kind), r.outcome.time) for r in results]
    return tables.trajectory_table(results), outcomes


def visible(figure: Figure) -> list[Axes]:
    return [axis for axis in figure.axes if axis.get_visible()]


def legend_texts(axis: Axes) -> list[str]:
    legend = axis.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_a_replicates_figure_names_its_panels_in_words_and_marks_the_outcomes(
    tmp_path: Path,
) -> None:
    scenario = engine.Scenario.build(
        preset="kirschner_panetta1998", parameters={"c": 0.02}, horizon_days=120, seed=7,
        replicates=3,
    )  # fmt: skip
    table, outcomes = run(scenario)
    assert [kind for kind, _ in outcomes] == ["elimination"] * 3
    figure = trajectories_figure(table, scenario=scenario, outcomes=outcomes, what="3 replicates")
    axes = visible(figure)
    assert [a.get_title(loc="left") for a in axes] == [
        "total tumour (cells)", "activated effector cells (cells)", "IL-2 (IL-2 units)",
    ]  # fmt: skip
    total = axes[0]
    assert "escape threshold (1e+09)" in legend_texts(total)
    assert "elimination (3 of 3; day marked)" in legend_texts(total)
    marks = [line for line in total.get_lines() if line.get_marker() == "x"]
    assert len(marks) == 1
    assert sorted(marks[0].get_xdata()) == sorted(day for _, day in outcomes if day is not None)
    assert to_hex(marks[0].get_color()) == figure_style.OUTCOME_COLOURS["elimination"]
    threshold = [line for line in total.get_lines() if list(line.get_ydata()) == [1e9, 1e9]]
    assert len(threshold) == 1
    title = figure.get_suptitle()
    assert "Kirschner & Panetta 1998" in title
    assert "c = 0.02" in title, "the preset's override in the title"
    path = tmp_path / "figure.png"
    plot_trajectories(table, path, scenario=scenario, outcomes=outcomes)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(tmp_path.iterdir()) == [path]


def test_escape2004_panels_group_by_role_and_mark_dose_days() -> None:
    scenario = engine.Scenario.build(
        preset="escape2004", initial={"T": 0, "T_p": 1e4, "T_s": 1e3}, horizon_days=20,
        therapies=[engine.Therapy(kind="anti_pd1", at_days=(0.0, 14.0), dose=10.0)],
        seed=3, replicates=2,
    )  # fmt: skip
    table, outcomes = run(scenario)
    figure = trajectories_figure(table, scenario=scenario, outcomes=outcomes)
    axes = visible(figure)
    titles = [a.get_title(loc="left") for a in axes]
    assert titles[0] == "total tumour (cells)"
    for expected in ("tumour clones (cells)", "effector cells (cells)",
                     "antigen presentation and priming (cells)", "anti-PD-1 (mg/kg)"):  # fmt: skip
        assert expected in titles
    words = " ".join(titles + [t for a in axes for t in legend_texts(a)])
    for symbol in ("T_ps", "T_p ", "DC_node", "DC_loaded", "CTL ", "anti_PD1", "IFNg"):
        assert symbol not in words, f"{symbol!r}: an internal symbol in the figure"
    clones = axes[titles.index("tumour clones (cells)")]
    named = legend_texts(clones)
    assert {"PD-L1-high clone", "TGF-β secretor clone"} <= set(named)
    assert all(t.endswith((" clone", " others, summed")) for t in named)
    assert len(named) <= 6
    assert "anti_pd1 dose days" in legend_texts(axes[0])
    for axis in axes:
        doses = [line.get_xdata()[0] for line in axis.get_lines() if line.get_linestyle() == ":"]
        assert doses == [0.0, 14.0]
    assert "anti_pd1 10 mg/kg on day 0, 14" in figure.get_suptitle().replace("\n", " ")


@pytest.fixture(scope="module")
def trial() -> tuple[Ensemble, list[ensemble_tables.CellResults]]:
    """Kuznetsov's separatrix at two tumour sizes, untreated and with 3× the effector
    influx (common random numbers): escapes in both arms at the larger size."""
    ensemble = Ensemble.from_dict({
        "scenario": {"preset": "kuznetsov1994", "horizon_days": 120, "seed": 11,
                     "escape_threshold": 3e8},
        "replicates": 12,
        "grid": {"initial": {"T": [6.6e7, 1e8]}},
        "arms": [{"name": "untreated"}, {"name": "more_effectors", "parameters": {"s": 3.9e4}}],
    })  # fmt: skip
    cells = ensemble.points()
    found = simulate_here([c.scenario for c in cells])
    return ensemble, ensemble_tables.summarise_cells(ensemble, cells, found)


def test_an_ensemble_figure_has_survival_curves_differences_and_a_band_legend(
    trial: tuple[Ensemble, list[ensemble_tables.CellResults]],
) -> None:
    ensemble, finished = trial
    figure = ensemble_figure(ensemble, finished, title="trial")
    axes = figure.axes
    assert axes[0].get_title(loc="left") == "outcome probabilities"
    assert axes[1].get_title(loc="left").startswith("difference in the probability of escape")
    assert legend_texts(axes[1]) == ["more_effectors − untreated"]
    survival_axes = [a for a in axes if a.get_ylabel() == "P(not yet escaped)"]
    assert len(survival_axes) == 1, "one label for the row, on its first column"
    labels = [t for a in axes for t in legend_texts(a) if "log-rank" in t]
    assert labels, "the treated arm's log-rank test against the control"
    assert all(t.startswith("more_effectors: ") for t in labels)
    assert any(a.get_ylabel() == "total tumour (cells)" for a in axes)
    assert any(a.get_ylabel() == "effector cells (cells)" for a in axes)
    entries = [t.get_text() for t in figure.legends[0].get_texts()]
    assert entries == ["untreated", "more_effectors", "median", "25–75% of replicates",
                       "5–95% of replicates", "escape threshold"]  # fmt: skip
    # (no arm gets a therapy here, so there is no "dose day" entry)
    colours = {to_hex(h.get_color()) for h in figure.legends[0].legend_handles[:2]}
    assert figure_style.OUTCOME_COLOURS["escape"] not in colours
    assert figure_style.OUTCOME_COLOURS["elimination"] not in colours


def test_the_grid_axis_spreads_a_dense_sweep_into_evenly_spaced_points(
    trial: tuple[Ensemble, list[ensemble_tables.CellResults]],
) -> None:
    sweep = (1, 10, 1e3, 1e5, 1e7, 6e7, 6.5e7, 6.55e7, 6.6e7, 6.7e7, 7e7, 1e8)
    spread = grid_axis.placement(Axis(field="initial.T", values=sweep))
    assert spread.labels is not None
    assert spread.position(6.55e7) == 7.0
    assert grid_axis.placement(Axis(field="x", values=(3e3, 1e4, 3e4))).scale == "log"
    assert grid_axis.placement(Axis(field="x", values=(0.1, 0.2, 0.3))).scale == "linear"
    assert grid_axis.placement(Axis(field="x", values=(0, 10, 1e4)), "log").scale == "linear"
    with pytest.raises(ValueError, match="scale must be one of"):
        grid_axis.placement(Axis(field="x", values=(1, 2)), "sqrt")
    ensemble, finished = trial
    figure = ensemble_figure(ensemble, finished, axis_scale="points")
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks == ["6.6e+07", "1e+08"]
    assert figure.axes[0].get_xlabel() == "initial.T (grid points evenly spaced)"
    assert ensemble_figure(ensemble, finished, axis_scale="linear").axes[0].get_xscale() == "linear"


def test_kaplan_meier_and_log_rank_come_from_lifelines_on_the_replicate_table() -> None:
    table = pa.table({
        "outcome": ["escape", "escape", "equilibrium", "elimination", "escape"],
        "outcome_time": [10.0, 30.0, None, 5.0, 30.0],
    })  # fmt: skip
    data = survival.durations(table, "escape", horizon=100.0)
    assert data.days.tolist() == [10.0, 30.0, 100.0, 100.0, 30.0]
    assert data.observed.tolist() == [True, True, False, False, True]
    curve = survival.kaplan_meier(data)
    # No replicate is censored before the last event: the curve is 1 − the empirical CDF.
    assert np.allclose(np.interp([0, 10, 30], curve.days, curve.surviving), [1.0, 0.8, 0.4])
    assert np.all(curve.lower <= curve.surviving)
    assert np.all(curve.surviving <= curve.upper)
    assert survival.logrank_p(data, data) == pytest.approx(1.0)
    never = survival.Durations(days=np.full(3, 100.0), observed=np.zeros(3, dtype=bool))
    assert survival.logrank_p(never, never) is None
