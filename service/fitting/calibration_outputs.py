"""What a calibration writes to its output folder, read back from pyABC's history.

* ``particles.parquet``: every generation's particles (``generation``, ``weight``, one
  column per fitted parameter, in the parameter's own units);
* ``generations.parquet``: per generation its ``epsilon``, ``evaluations``, ``particles``
  and ``acceptance_rate``;
* ``summary.json``: per parameter the posterior median and 95 % credible interval
  (weighted 2.5 % and 97.5 % quantiles of the last generation), the seed, the stopping
  rules and the cost;
* ``posterior.png``: marginals (diagonal) and pairwise scatter of the last generation;
* ``predictive.png`` and ``predictive.parquet``: the posterior predictive check, 5-95 %
  bands of the simulated observables over the data.
"""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escapesim.engine.calibration import CalibrationSpec
from escapesim.engine.calibration.spec import weighted_quantiles
from escapesim.service.fitting.abc_model import simulated_statistics
from escapesim.service.fitting.calibration_driver import Calibrated


def particles(found: Calibrated) -> pd.DataFrame:
    """Every generation's particles in the parameters' own units, with weights."""
    frames = []
    for t in range(found.history.max_t + 1):
        sampled, weights = found.history.get_distribution(m=0, t=t)
        frame = pd.DataFrame({"generation": t, "weight": np.asarray(weights, dtype=float)})
        for p in found.spec.priors:
            frame[p.parameter] = [p.value(x) for x in sampled[p.name]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def generations(found: Calibrated) -> pd.DataFrame:
    """Epsilon, evaluations and acceptance rate per generation."""
    table = found.history.get_all_populations()
    table = table[table["t"] >= 0]
    return pd.DataFrame({
        "generation": table["t"].astype(int).to_numpy(),
        "epsilon": table["epsilon"].astype(float).to_numpy(),
        "evaluations": table["samples"].astype(int).to_numpy(),
        "particles": table["particles"].astype(int).to_numpy(),
        "acceptance_rate": (table["particles"] / table["samples"]).astype(float).to_numpy(),
    })  # fmt: skip


def summary(found: Calibrated, table: pd.DataFrame) -> dict[str, Any]:
    """Median and 95 % credible interval per parameter, with the run's settings."""
    last = table[table["generation"] == table["generation"].max()]
    weights = last["weight"].to_numpy(dtype=float)
    spec = found.spec
    posterior = {}
    for p in spec.priors:
        low, median, high = weighted_quantiles(last[p.parameter].to_numpy(float), weights,
                                               [0.025, 0.5, 0.975])  # fmt: skip
        posterior[p.parameter] = {"median": median, "low": low, "high": high,
                                  "prior": p.to_dict()}  # fmt: skip
    return {
        "preset": spec.scenario.preset, "seed": spec.seed, "population": spec.population,
        "generations": int(table["generation"].max()) + 1, "evaluations": found.evaluations,
        "workers": found.workers, "seconds": found.seconds,
        "stopping": {"epsilon": spec.stopping.epsilon, "generations": spec.stopping.generations,
                     "simulations": spec.stopping.simulations,
                     "epsilons": list(spec.stopping.epsilons)},
        "adaptive_distance": spec.adaptive_distance, "posterior": posterior,
    }  # fmt: skip


def predictive(
    spec: CalibrationSpec, last: pd.DataFrame, pool: concurrent.futures.Executor | None
) -> pd.DataFrame:
    """Simulated values of every measurement for ``spec.predictive_draws`` particles
    drawn by weight (seeded from the spec's seed): one row per draw and measurement."""
    draws = spec.predictive_draws
    if draws == 0:
        return pd.DataFrame(columns=["draw", "row", "simulated"])
    rng = np.random.default_rng([spec.seed, 1])
    weights = last["weight"].to_numpy(float)
    picked = rng.choice(len(last), size=draws, p=weights / weights.sum())
    values = [{p.parameter: float(last[p.parameter].iloc[i]) for p in spec.priors} for i in picked]
    seeds = [int(s) for s in rng.integers(0, 2**62, size=draws)]
    mapper = pool.map if pool is not None else map
    found = list(mapper(simulated_statistics, [spec] * draws, values, seeds))
    rows = [{"draw": d, "row": m.row, "simulated": stats[m.key]}
            for d, stats in enumerate(found) for m in spec.measurements]  # fmt: skip
    return pd.DataFrame(rows)


def write(found: Calibrated, out: Path, pool: concurrent.futures.Executor | None) -> dict[str, Any]:
    """Write every output to ``out`` (created); returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    table = particles(found)
    table.to_parquet(out / "particles.parquet", index=False)
    generations(found).to_parquet(out / "generations.parquet", index=False)
    document = summary(found, table)
    (out / "summary.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    last = table[table["generation"] == table["generation"].max()].reset_index(drop=True)
    posterior_figure(found.spec, last, out / "posterior.png")
    checks = predictive(found.spec, last, pool)
    checks.to_parquet(out / "predictive.parquet", index=False)
    if len(checks):
        predictive_figure(found.spec, checks, out / "predictive.png")
    return document


def posterior_figure(spec: CalibrationSpec, last: pd.DataFrame, path: Path) -> None:
    """Weighted marginal histograms on the diagonal, particles pairwise below it."""
    names = [p.parameter for p in spec.priors]
    logs = {p.parameter: p.log for p in spec.priors}
    k = len(names)
    # Imported here, as in results/plot.py: slow to import, and only figures need it.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.6 * k + 1, 2.6 * k + 1))
    axes = fig.subplots(k, k, squeeze=False)
    weights = last["weight"].to_numpy(float)
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
                continue
            xs = last[x].to_numpy(float)
            if i == j:
                bins = np.geomspace(xs.min(), xs.max(), 25) if logs[x] and xs.min() > 0 else 25
                ax.hist(xs, bins=bins, weights=weights, color="#1f77b4")
            else:
                ax.scatter(xs, last[y], s=6, alpha=0.5, c=weights, cmap="Blues")
                ax.set_yscale("log" if logs[y] else "linear")
            ax.set_xscale("log" if logs[x] else "linear")
            ax.set_xlabel(x if i == k - 1 else "")
            ax.set_ylabel(y if j == 0 and i > 0 else "")
    fig.suptitle(f"{spec.scenario.preset}: posterior (last generation, {len(last)} particles)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def predictive_figure(spec: CalibrationSpec, checks: pd.DataFrame, path: Path) -> None:
    """Per condition and observable: the 5-95 % band and median of the simulated values
    over the draws (and subjects) at each time, with the data as points."""
    data = pd.DataFrame([{"row": m.row, "condition": m.condition, "observable": m.observable,
                          "time": m.time, "measurement": m.value, "sigma": m.sigma}
                         for m in spec.measurements])  # fmt: skip
    joined = checks.merge(data, on="row")
    panels = list(dict.fromkeys(zip(data["condition"], data["observable"], strict=True)))
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.5 * len(panels), 3.6))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (condition, observable) in zip(axes[0], panels, strict=True):
        sim = joined[(joined["condition"] == condition) & (joined["observable"] == observable)]
        bands = sim.groupby("time")["simulated"].quantile([0.05, 0.5, 0.95]).unstack()
        ax.fill_between(bands.index, bands[0.05], bands[0.95], color="#9ecae1",
                        label="posterior predictive 5-95 %")  # fmt: skip
        ax.plot(bands.index, bands[0.5], color="#1f77b4", label="median")
        seen = data[(data["condition"] == condition) & (data["observable"] == observable)]
        ax.errorbar(seen["time"], seen["measurement"], yerr=seen["sigma"], fmt="o", ms=3,
                    color="black", label="data ± σ")  # fmt: skip
        ax.set_title(f"{condition}: {observable}")
        ax.set_xlabel("day")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
