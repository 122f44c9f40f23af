"""What ``simulate`` prints: one JSON document (``--json``) or a short text summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from escapesim.engine import Network, OutcomeKind, Result, Scenario

#: The text summary lists at most this many replicates and final values (the JSON has all).
SUMMARY_ROWS = 20
SUMMARY_COLUMNS = 8

#: How a summary column reads its value from a replicate's final state.
Column = Callable[[Mapping[str, float]], float]


def json_document(scenario: Scenario, results: Sequence[Result]) -> dict[str, Any]:
    """The ``--json`` document: the scenario's key fields and one entry per replicate."""
    net = scenario.network()
    counts = {s.name for s in net.species}
    protocol = scenario.to_dict()
    return {
        "preset": scenario.preset,
        "seed": scenario.seed,
        "parameters": dict(scenario.parameters),
        "initial": dict(scenario.initial),
        "mechanisms": protocol["mechanisms"],
        "therapies": protocol["therapies"],
        "horizon_days": scenario.horizon_days,
        "interval_days": scenario.interval_days,
        "escape_threshold": scenario.escape_threshold,
        "exact": scenario.exact,
        "profile": scenario.profile,
        "stop_at_outcome": scenario.stop_at_outcome,
        "sample_days": list(scenario.sample_days),
        "outcomes": outcome_tally(results),
        "replicates": [
            {
                "replicate": result.replicate,
                "outcome": str(result.outcome.kind),
                "outcome_time": result.outcome.time,
                # Populations are counts: integers in JSON too; concentrations stay floats.
                "final": {
                    name: round(value) if name in counts else value
                    for name, value in result.final().items()
                },
                "counters": dict(result.counters),
            }
            for result in results
        ],
    }


def outcome_tally(results: Sequence[Result]) -> dict[str, int]:
    """How many replicates ended in each outcome (every outcome listed, zeros included)."""
    seen = Counter(str(r.outcome.kind) for r in results)
    return {str(kind): seen.get(str(kind), 0) for kind in OutcomeKind}


def summary_text(scenario: Scenario, results: Sequence[Result]) -> str:
    """A few lines for a person: the run, one row per replicate, the outcome tally."""
    net = scenario.network()
    columns, hidden = summary_columns(net, results)
    noun = "replicate" if len(results) == 1 else "replicates"
    lines = [
        f"{net.name} — {net.title}",
        f"{len(results)} {noun}, {scenario.horizon_days:g} days {_sampling(scenario)}, "
        f"seed {scenario.seed}" + (", stopped at the outcome" if scenario.stop_at_outcome else ""),
        "",
        "  ".join([f"{'replicate':>9}", f"{'outcome':<11}", f"{'day':>8}"])
        + "".join(f"{name:>12}" for name in columns),
    ]
    for result in results[:SUMMARY_ROWS]:
        final = result.final()
        day = "-" if result.outcome.time is None else f"{result.outcome.time:.1f}"
        lines.append(
            "  ".join([f"{result.replicate:>9}", f"{result.outcome.kind!s:<11}", f"{day:>8}"])
            + "".join(f"{value(final):>12.4g}" for value in columns.values())
        )
    if len(results) > SUMMARY_ROWS:
        lines.append(f"{'…':>9}  ({len(results) - SUMMARY_ROWS} more; --json lists all)")
    if hidden:
        lines.append(f"{'':>9}  ({hidden} final values not shown one by one; --json lists all)")
    tally = ", ".join(f"{kind} {n}" for kind, n in outcome_tally(results).items())
    lines += ["", f"outcomes: {tally}"]
    return "\n".join(lines)


def summary_columns(net: Network, results: Sequence[Result]) -> tuple[dict[str, Column], int]:
    """The final values the summary shows, and how many it leaves out.

    Every population and concentration when there are few; otherwise the tumour total
    and the other state variables that are non-zero somewhere, up to SUMMARY_COLUMNS.
    """
    names = [s.name for s in (*net.species, *net.levels)]
    if len(names) <= SUMMARY_COLUMNS:
        return {name: itemgetter(name) for name in names}, 0
    tumour = set(net.tumour)
    columns: dict[str, Column] = {"tumour": lambda final: sum(final[name] for name in tumour)}
    finals = [r.final() for r in results]
    busy = [n for n in names if n not in tumour and any(f[n] != 0 for f in finals)]
    columns.update((name, itemgetter(name)) for name in busy[: SUMMARY_COLUMNS - 1])
    return columns, len(names) - len(columns) + 1


def _sampling(scenario: Scenario) -> str:
    if scenario.sample_days:
        return "sampled on days " + ", ".join(f"{d:g}" for d in scenario.sample_days)
    return f"sampled every {scenario.interval_days:g}"
