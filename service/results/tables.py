"""Results ⇄ Arrow tables, and Parquet files: the one tabular form the CLI, store and service share.

Two tables describe the replicates of one scenario (:func:`results_from_tables` turns them
back into engine results):

* the *trajectory table* — one row per (replicate, sampling time): ``replicate`` (int32),
  ``t`` (float64, days), then one column per population (int64 counts, in the network's
  species order) and per concentration (float64, in the network's level order);
* the *replicate table* — one row per replicate: ``replicate``, ``outcome`` (string),
  ``outcome_time`` (float64, null for equilibrium), ``final.<name>`` for every population
  and concentration at the horizon, and ``counters.<channel>`` (int64) for every event
  counter any replicate reported (zero where a replicate never fired it); with a
  parameter population (virtual patients), ``parameters.<name>`` (float64) holds each
  replicate's drawn value of every parameter the population draws.

Rows come in the order given (callers pass results sorted by replicate). Parquet files are
written atomically (a temporary file in the same directory, then a rename) so a reader never
sees half a file, and byte-identical for identical results (no timestamps are embedded).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from escapesim.engine import Frame, Network, Outcome, OutcomeKind, Provenance, Result, Scenario
from escapesim.engine.frozen import FrozenMap
from escapesim.service.store.files import atomic_target

#: Prefixes of the flattened per-replicate columns.
FINAL_PREFIX = "final."
COUNTER_PREFIX = "counters."
DRAWN_PREFIX = "parameters."


def trajectory_schema(network: Network) -> pa.Schema:
    """The schema of the trajectory table of ``network`` (also for no replicates at all)."""
    return pa.schema(
        [
            pa.field("replicate", pa.int32(), nullable=False),
            pa.field("t", pa.float64(), nullable=False),
            *(pa.field(s.name, pa.int64(), nullable=False) for s in network.species),
            *(pa.field(s.name, pa.float64(), nullable=False) for s in network.levels),
        ]
    )


def trajectory_table(results: Sequence[Result], *, network: Network | None = None) -> pa.Table:
    """One row per replicate and sampling time; ``network`` is needed only if ``results`` is empty.

    Raises ``ValueError`` if the results do not all come from the same preset.
    """
    net = _network_of(results, network)
    schema = trajectory_schema(net)
    if not results:
        return schema.empty_table()
    columns: dict[str, list[np.ndarray]] = {name: [] for name in schema.names}
    for result in results:
        rows = result.times.size
        columns["replicate"].append(np.full(rows, result.replicate, dtype=np.int32))
        columns["t"].append(result.times.astype(np.float64))
        for species in net.species:
            # Counts are whole floats in the engine; rint guards against any -0.0 or drift.
            columns[species.name].append(np.rint(result.trajectory[species.name]).astype(np.int64))
        for level in net.levels:
            columns[level.name].append(result.trajectory[level.name].astype(np.float64))
    arrays = [pa.array(np.concatenate(columns[f.name]), type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def frame_table(frames: Iterable[Frame], network: Network) -> pa.Table:
    """The trajectory table of streamed :class:`engine.Frame` objects (e.g. a partial run)."""
    schema = trajectory_schema(network)
    listed = list(frames)
    data = {
        "replicate": [f.replicate for f in listed],
        "t": [f.t for f in listed],
        **{s.name: [round(f.values[s.name]) for f in listed] for s in network.species},
        **{s.name: [f.values[s.name] for f in listed] for s in network.levels},
    }
    return pa.Table.from_pydict(data, schema=schema)


def counter_names(results: Sequence[Result]) -> list[str]:
    """Every counter any replicate reported, in first-seen order (channels first)."""
    names: dict[str, None] = {}
    for result in results:
        names.update(dict.fromkeys(result.counters))
    return list(names)


def replicate_schema(
    network: Network, counters: Sequence[str], drawn: Sequence[str] = ()
) -> pa.Schema:
    """The schema of the replicate table for ``network``, the given counter names and the
    parameters a population draws."""
    return pa.schema(
        [
            pa.field("replicate", pa.int32(), nullable=False),
            pa.field("outcome", pa.string(), nullable=False),
            pa.field("outcome_time", pa.float64(), nullable=True),
            *(pa.field(FINAL_PREFIX + s.name, pa.int64(), nullable=False) for s in network.species),
            *(
                pa.field(FINAL_PREFIX + s.name, pa.float64(), nullable=False)
                for s in network.levels
            ),
            *(pa.field(COUNTER_PREFIX + c, pa.int64(), nullable=False) for c in counters),
            *(pa.field(DRAWN_PREFIX + p, pa.float64(), nullable=False) for p in drawn),
        ]
    )


def replicate_table(results: Sequence[Result], *, network: Network | None = None) -> pa.Table:
    """One row per replicate: outcome, its time, final values and event counters."""
    net = _network_of(results, network)
    counters = counter_names(results)
    population = results[0].provenance.scenario.population if results else None
    drawn = population.parameters if population is not None else ()
    schema = replicate_schema(net, counters, drawn)
    data: dict[str, list[object]] = {
        "replicate": [r.replicate for r in results],
        "outcome": [str(r.outcome.kind) for r in results],
        "outcome_time": [r.outcome.time for r in results],
    }
    finals = [r.final() for r in results]
    for species in net.species:
        data[FINAL_PREFIX + species.name] = [round(f[species.name]) for f in finals]
    for level in net.levels:
        data[FINAL_PREFIX + level.name] = [f[level.name] for f in finals]
    for counter in counters:
        data[COUNTER_PREFIX + counter] = [r.counters.get(counter, 0) for r in results]
    patients = [r.provenance.scenario.replicate_parameters(r.replicate) for r in results if drawn]
    for name in drawn:
        data[DRAWN_PREFIX + name] = [p[name] for p in patients]
    return pa.Table.from_pydict(data, schema=schema)


def align_counters(tables: Sequence[pa.Table]) -> list[pa.Table]:
    """Replicate tables given the same columns, in first-seen order, ready to concatenate:
    a counter some table lacks (no replicate of it fired that channel) is zero there."""
    names: dict[str, None] = {}
    for table in tables:
        names.update(dict.fromkeys(table.column_names))
    counters = [n for n in names if n.startswith(COUNTER_PREFIX)]
    aligned = []
    for table in tables:
        present = set(table.column_names)  # column_names builds a list: once per table
        for name in counters:
            if name not in present:
                zeros = pa.array(np.zeros(table.num_rows, dtype=np.int64))
                table = table.append_column(pa.field(name, pa.int64(), nullable=False), zeros)
        aligned.append(table.select(list(names)))
    return aligned


def results_from_tables(
    scenario: Scenario, trajectories: pa.Table, replicates: pa.Table
) -> list[Result]:
    """Engine results rebuilt from the two tables of ``scenario``'s replicates (the inverse
    of :func:`trajectory_table` and :func:`replicate_table`), sorted by replicate.

    Everything a table holds comes back exactly (counts are whole numbers, levels float64);
    the provenance names ``scenario`` and the versions of this process.
    """
    network = scenario.network()
    names = [s.name for s in (*network.species, *network.levels)]
    ids = trajectories.column("replicate").to_numpy()
    order = np.argsort(ids, kind="stable")  # rows of one replicate keep their order
    ids = ids[order]
    times = trajectories.column("t").to_numpy()[order].astype(np.float64)
    series = {n: trajectories.column(n).to_numpy()[order].astype(np.float64) for n in names}
    results = []
    for row in replicates.to_pylist():
        k = int(row["replicate"])
        rows = slice(np.searchsorted(ids, k, "left"), np.searchsorted(ids, k, "right"))
        counters = {
            key.removeprefix(COUNTER_PREFIX): int(value)
            for key, value in row.items()
            if key.startswith(COUNTER_PREFIX)
        }
        results.append(
            Result(
                times=times[rows],
                trajectory=FrozenMap({n: series[n][rows] for n in names}),
                counters=FrozenMap(counters),
                outcome=Outcome(OutcomeKind(row["outcome"]), row["outcome_time"]),
                provenance=Provenance(scenario=scenario, replicate=k),
            )
        )
    return sorted(results, key=lambda r: r.replicate)


def write_parquet(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` to ``path`` atomically
    (see :func:`escapesim.service.store.files.atomic_target`).

    Raises ``OSError`` if the directory is not writable.
    """
    with atomic_target(path) as temporary:
        pq.write_table(table, temporary)


def read_parquet(path: str | os.PathLike[str]) -> pa.Table:
    """Read a table written by :func:`write_parquet`."""
    return pq.read_table(path)


def _network_of(results: Sequence[Result], network: Network | None) -> Network:
    """The network all ``results`` share (or ``network`` when there are none)."""
    presets = {r.provenance.scenario.preset for r in results}
    if len(presets) > 1:
        raise ValueError(f"results come from different presets: {sorted(presets)}")
    if results:
        return results[0].provenance.scenario.network()
    if network is None:
        raise ValueError("without results, the network is needed to know the columns")
    return network
