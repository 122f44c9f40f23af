"""A scenario file's particle table given as a path: read here, sent as content.

``population: {particles: {path: posterior.parquet}}`` (or ``.csv``) names a table with
one column per parameter and an optional ``weight`` column (equal weights without one),
for example a calibration's posterior particles. The path is relative to the scenario
file; the engine and the server only ever see the numbers
(:mod:`escapesim.engine.population_file`).

A calibration's output goes in as it is, in one step: the path may be its output
directory (``escapesim calibrate … --out DIR``) or its ``particles.parquet``, whose
``generation`` column marks every generation's particles; the last generation is the
posterior, so only its rows are taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from escapesim.service.cli.errors import UsageError

#: The column of a particle table that holds the weights (all others are parameters).
WEIGHT_COLUMN = "weight"
#: The column of a calibration's particle table that numbers the ABC-SMC generations.
GENERATION_COLUMN = "generation"
#: The particle table in a calibration's output directory.
CALIBRATION_PARTICLES = "particles.parquet"


def read_particles(data: dict[str, Any], directory: Path, where: str) -> None:
    """Replace ``data['population']['particles']['path']`` by the table's content."""
    population = data.get("population")
    if not isinstance(population, Mapping):
        return
    particles = population.get("particles")
    if not isinstance(particles, Mapping) or set(particles) != {"path"}:
        return
    path = particles["path"]
    here = f"{where}: population.particles.path {path}"
    if not isinstance(path, str):
        raise UsageError([f"{here}: must be a file path"])
    table = posterior(_read_table(directory / path, here))
    data["population"] = {**population, "particles": particle_form(table, here)}


def posterior(table: pa.Table) -> pa.Table:
    """A calibration's last generation without its ``generation`` column; any other
    table as it is."""
    if GENERATION_COLUMN not in table.column_names:
        return table
    generation = table.column(GENERATION_COLUMN)
    last = pc.max(generation)
    return table.filter(pc.equal(generation, last)).drop_columns([GENERATION_COLUMN])


def particle_form(table: pa.Table, where: str) -> dict[str, list[Any]]:
    """The ``particles`` file form of a table (parameter columns and ``weight``)."""
    names = [n for n in table.column_names if n != WEIGHT_COLUMN]
    if not names:
        raise UsageError([f"{where}: the table has no parameter columns"])
    try:
        columns = [table.column(n).cast(pa.float64()).to_pylist() for n in names]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise UsageError([f"{where}: parameter columns must be numbers ({error})"]) from None
    if WEIGHT_COLUMN in table.column_names:
        weights = table.column(WEIGHT_COLUMN).cast(pa.float64()).to_pylist()
    else:
        weights = [1.0] * table.num_rows
    values = [v for row in zip(*columns, strict=True) for v in row]
    return {"parameters": names, "values": values, "weights": weights}


def _read_table(path: Path, where: str) -> pa.Table:
    if path.is_dir():
        path = path / CALIBRATION_PARTICLES
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path)
        return pa_csv.read_csv(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise UsageError([f"{where}: cannot read the table ({error})"]) from None
