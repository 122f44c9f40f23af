"""Adaptive anti-PD-1 against the fixed schedule, on 200 virtual patients (paired).

Run: ``.venv/bin/python examples/adaptive_therapy.py [--patients 200] [--workers 2]``
(writes docs/adaptive_therapy.png and prints the tables of docs/adaptive_therapy.md).

The patients are those of examples/ensemble_escape2004_anti_pd1_population.yaml: 1e4
PD-L1-high tumour cells in hosts whose immune competence varies (``dc_supply`` and
``ctl_kill_rate`` log-normal), seed 2004, over examples/anti_pd1.yaml's horizon (365
days). Each patient is treated twice, through :class:`escapesim.gym.EscapeEnv` with a
decision every 7 days and the same seed and replicate (common random numbers):

* **fixed**: examples/anti_pd1.yaml's schedule, 10 mg/kg on days 0, 14 and 28;
* **adaptive**: 10 mg/kg on day 0, then at a decision only when the measured burden has
  risen above ``1 + RISE`` times its nadir so far and is not falling (treat on regrowth,
  pause while it responds), as adaptive therapy's rules do (Zhang et al. 2017, Nat
  Commun 8:1816, treat and pause on PSA against its baseline).

Printed: each arm's outcome probabilities (95 % Wilson intervals), the paired difference
adaptive − fixed (Newcombe's interval for paired proportions, engine/summary.py) and the
doses used.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from escapesim import engine
from escapesim.engine.summary import paired_difference, wilson
from escapesim.gym import EscapeEnv

HERE = Path(__file__).resolve().parent
FIGURE = HERE.parent / "docs" / "adaptive_therapy.png"
POPULATION = HERE / "ensemble_escape2004_anti_pd1_population.yaml"
#: examples/anti_pd1.yaml's schedule (days) and dose (mg/kg).
FIXED_DAYS = (0.0, 14.0, 28.0)
DOSE = 10.0
#: Treat when the burden exceeds its nadir by this fraction (50 %: a clear regrowth,
#: reached within a week by a tumour escaping untreated, which grows ~2.5-fold a week).
RISE = 0.5
EVERY = 7.0
ARMS = ("fixed", "adaptive")
OUTCOMES = tuple(str(kind) for kind in engine.OutcomeKind)

#: A policy: the measured burdens so far (this decision's last) and the day → dose now?
Policy = Callable[[Sequence[float], float], bool]


def patients() -> engine.Scenario:
    """The untreated virtual patients (module docstring)."""
    spec = yaml.safe_load(POPULATION.read_text())["scenario"]
    # The outcome is all the trial needs: a replicate stops there (not at the horizon).
    return engine.Scenario.from_dict(
        {**spec, "initial": {"T": 0.0, "T_p": 1e4}, "horizon_days": 365.0,
         "stop_at_outcome": True}
    )  # fmt: skip


def fixed(burdens: Sequence[float], day: float) -> bool:
    """examples/anti_pd1.yaml's schedule."""
    return day in FIXED_DAYS


def adaptive(burdens: Sequence[float], day: float) -> bool:
    """Day 0, then on regrowth above (1 + RISE) × the nadir while not falling."""
    if day == 0.0:
        return True
    current, previous = burdens[-1], burdens[-2]
    return current > (1.0 + RISE) * min(burdens) and current >= previous


POLICIES: Mapping[str, Policy] = {"fixed": fixed, "adaptive": adaptive}


@dataclass(frozen=True, slots=True)
class Patient:
    """One patient under one arm: the outcome, its day, the doses given."""

    replicate: int
    outcome: str
    outcome_day: float | None
    doses: int


def play(arm: str, replicates: Sequence[int]) -> list[Patient]:
    """Patients ``replicates`` under ``arm``'s policy, one episode each."""
    scenario = patients()
    env = EscapeEnv(scenario, every=EVERY, doses={"anti_pd1": DOSE})
    policy, found = POLICIES[arm], []
    for k in replicates:
        _, info = env.reset(seed=scenario.seed, options={"replicate": k})
        burdens, doses, done = [info["burden"]], 0, False
        while not done:
            dose = policy(burdens, info["day"])
            _, _, terminated, truncated, info = env.step(np.array([int(dose)], dtype=np.int8))
            burdens.append(info["burden"])
            doses, done = doses + int(dose), terminated or truncated
        found.append(Patient(k, info["outcome"], info["outcome_day"], doses))
    return found


def trial(count: int, workers: int = 1) -> dict[str, list[Patient]]:
    """Both arms on patients 0..count-1 (in ``workers`` spawned processes if > 1)."""
    if workers <= 1:
        return {arm: play(arm, range(count)) for arm in ARMS}
    # Interleaved chunks: escaping patients (the slow ones) spread over the workers.
    chunks = [list(range(start, count, 4 * workers)) for start in range(4 * workers)]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {arm: [pool.submit(play, arm, chunk) for chunk in chunks] for arm in ARMS}
        done = {arm: [p for f in found for p in f.result()] for arm, found in futures.items()}
    return {arm: sorted(found, key=lambda p: p.replicate) for arm, found in done.items()}


def tables(result: Mapping[str, Sequence[Patient]]) -> str:
    """The outcome, paired-difference and dose tables (markdown)."""
    n = len(result["fixed"])
    lines = ["| arm | " + " | ".join(f"P({o})" for o in OUTCOMES) + " | doses, mean | median |",
             "|---" * (len(OUTCOMES) + 3) + "|"]  # fmt: skip
    for arm in ARMS:
        cells = []
        for outcome in OUTCOMES:
            p = wilson(sum(x.outcome == outcome for x in result[arm]), n)
            cells.append(f"{p.estimate:.3f} [{p.lower:.3f}, {p.upper:.3f}]")
        doses = [x.doses for x in result[arm]]
        lines.append(f"| {arm} | {' | '.join(cells)} | {np.mean(doses):.2f} | "
                     f"{np.median(doses):g} |")  # fmt: skip
    lines += ["", "| adaptive − fixed (paired) | both | adaptive only | fixed only | neither "
              "| difference [95 % Newcombe] |", "|---|---|---|---|---|---|"]  # fmt: skip
    for outcome, d in differences(result).items():
        interval = f"{d.estimate:+.3f} [{d.lower:+.3f}, {d.upper:+.3f}]"
        lines.append(f"| P({outcome}) | {d.both} | {d.arm_only} | {d.control_only} | "
                     f"{d.neither} | {interval} |")  # fmt: skip
    return "\n".join(lines)


def differences(result: Mapping[str, Sequence[Patient]]) -> dict[str, Any]:
    """Adaptive − fixed in each outcome's probability, patient k against patient k."""
    return {
        outcome: paired_difference(
            [x.outcome == outcome for x in result["adaptive"]],
            [x.outcome == outcome for x in result["fixed"]],
        )
        for outcome in OUTCOMES
    }


def plot(result: Mapping[str, Sequence[Patient]], path: Path) -> None:
    """Outcome probabilities per arm, the paired differences, the doses used."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from escapesim.service.results.figure_style import OUTCOME_COLOURS, arm_colours

    colours = arm_colours(list(ARMS), "fixed")
    n = len(result["fixed"])
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 4.2))
    for i, arm in enumerate(ARMS):
        for j, outcome in enumerate(OUTCOMES):
            p = wilson(sum(x.outcome == outcome for x in result[arm]), n)
            x = j + (i - 0.5) * 0.38
            left.bar(x, p.estimate, 0.36, color=OUTCOME_COLOURS[outcome], edgecolor=colours[arm],
                     linewidth=2, hatch="//" if arm == "adaptive" else None,
                     label=arm if j == 0 else None)  # fmt: skip
            left.errorbar(x, p.estimate, [[p.estimate - p.lower], [p.upper - p.estimate]],
                          color="black", capsize=3)  # fmt: skip
    left.set_xticks(range(len(OUTCOMES)), OUTCOMES)
    left.set_ylabel(f"probability ({n} patients, 95 % Wilson)")
    left.legend(title="arm (edge)")
    for j, (outcome, d) in enumerate(differences(result).items()):
        middle.errorbar(j, d.estimate, [[d.estimate - d.lower], [d.upper - d.estimate]], fmt="o",
                        color=OUTCOME_COLOURS[outcome], capsize=4)  # fmt: skip
    middle.axhline(0.0, color="black", linewidth=0.8)
    middle.set_xticks(range(len(OUTCOMES)), OUTCOMES)
    middle.set_ylabel("adaptive − fixed, paired (95 % Newcombe)")
    top = max(max(x.doses for x in result[arm]) for arm in ARMS)
    bins = np.arange(0, top + 2) - 0.5
    for arm in ARMS:
        right.hist([x.doses for x in result[arm]], bins=bins, histtype="step", linewidth=1.8,
                   color=colours[arm], label=arm)  # fmt: skip
    right.set_xlabel("doses given (10 mg/kg each)")
    right.set_ylabel("patients")
    right.legend()
    figure.suptitle("escape2004, 1e4 PD-L1-high cells, virtual patients (dc_supply, "
                    "ctl_kill_rate vary): adaptive vs fixed anti-PD-1, common random "
                    "numbers", fontsize=10)  # fmt: skip
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the trial, print its tables, write the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = trial(args.patients, args.workers)
    elapsed = time.perf_counter() - start
    print(tables(result))
    print(f"\n{args.patients} patients × 2 arms in {elapsed:.0f} s on {args.workers} workers")
    plot(result, args.figure)


if __name__ == "__main__":
    main()
