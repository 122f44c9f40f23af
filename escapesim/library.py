"""escapesim in a notebook: one call runs a scenario or an ensemble and returns DataFrames.

    import escapesim

    found = escapesim.run({"preset": "kuznetsov1994", "replicates": 20, "horizon_days": 60})
    found.replicates.outcome.value_counts()
    found.summary                       # outcome, replicates, n, probability, low, high

    trial = escapesim.ensemble(yaml.safe_load(open("examples/ensemble_kuznetsov.yaml")))
    trial.outcomes                      # per cell: probabilities, paired differences
    trial.attribution                   # per knock-out arm: Δ P(escape), delays (knockouts)

    fit = escapesim.calibrate("examples/calibrate_kuznetsov.yaml", out="out/fit")
    fit.summary["posterior"]["a"]        # median and 95% credible interval per parameter

    screen = escapesim.sensitivity("examples/sensitivity_escape.yaml", workers=2)
    screen.indices                      # per quantity × parameter: mu_star, sigma (Morris)

    escapesim.validate({"preset": "kuznetsov1994", "horizon_days": -1})
    # [FieldViolation(field='horizon_days', message='must be > 0')]

Every call runs here by default, on this machine's local executor through the same batch
runner as the server (so a local run and a server run of one scenario give the same
tables), or on a server with ``server="HOST:PORT"`` (or an open
:class:`~escapesim.service.client.Client`) and otherwise the same arguments and answer.
It works inside a running event loop (Jupyter's) by simulating on a thread beside it.

This module sits above the service: nothing in ``escapesim.engine`` or
``escapesim.service`` imports it (an import-linter contract keeps it so).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa

from escapesim.engine import FieldViolation, OutcomeKind, Scenario, ScenarioError
from escapesim.engine.calibration import CalibrationSpec
from escapesim.engine.ensemble import Ensemble
from escapesim.engine.summary import wilson
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.results import ensemble_tables
from escapesim.service.workers.scenarios import simulate_here

#: A scenario as :func:`run` accepts it: a :class:`Scenario` or a scenario file's mapping.
ScenarioInput = Scenario | Mapping[str, Any]
#: An ensemble as :func:`ensemble` accepts it: an :class:`Ensemble` or its file's mapping.
EnsembleInput = Ensemble | Mapping[str, Any]

T = TypeVar("T")


@dataclass(frozen=True)
class RunFrames:
    """A finished run as DataFrames.

    ``trajectories``: one row per replicate and sampling day (``replicate``, ``t``, one
    column per species and level); ``replicates``: one row per replicate (``outcome``,
    ``outcome_time``, ``final.<name>``, ``counter.<name>``); ``summary``: one row per
    outcome with its count of ``n`` replicates, the proportion and its 95% Wilson interval.
    """

    scenario: Scenario
    trajectories: pd.DataFrame
    replicates: pd.DataFrame
    summary: pd.DataFrame


@dataclass(frozen=True)
class EnsembleFrames:
    """A finished ensemble as DataFrames (the tables ``escapesim ensemble --out`` writes).

    ``trajectories`` and ``replicates`` as for a run with ``point`` and ``arm`` first;
    ``outcomes``: per cell, outcome probabilities, median times and the paired difference
    against the control arm; ``bands``: quantile bands per series; ``attribution``: per
    knock-out arm, the mechanism's effect on escape against the intact control, pair by
    pair (no rows without ``knockouts``; docs/ensembles.md); ``summary``: the summary
    document (``summary.json``).
    """

    ensemble: Ensemble
    trajectories: pd.DataFrame
    replicates: pd.DataFrame
    outcomes: pd.DataFrame
    bands: pd.DataFrame
    attribution: pd.DataFrame
    summary: dict[str, Any]


def run(
    scenario: ScenarioInput,
    *,
    server: Any = None,
    token: str | None = None,
    tls_ca: Path | bytes | None = None,
    timeout: float | None = None,
) -> RunFrames:
    """Simulate every replicate of ``scenario`` and return the tables as DataFrames.

    ``server`` (``"HOST:PORT"`` or a ``Client``) runs it as a durable run on that server
    (``token`` and ``tls_ca`` as for ``Client``; ``timeout`` bounds the wait, in seconds);
    without one it runs here. Raises :class:`ScenarioError` naming every bad field (see
    :func:`validate` to get them without raising); a run that fails raises
    ``RuntimeError`` with the server's reason.
    """
    built = _scenario(scenario)
    if server is None:
        ((trajectories, replicates),) = _beside_loop(lambda: simulate_here([built]))
    else:
        with _client(server, token, tls_ca) as client:
            trajectories, replicates = _run_remote(client, built, timeout)
    table = replicates.to_pandas()
    return RunFrames(built, trajectories.to_pandas(), table, outcome_summary(table))


def ensemble(
    ensemble: EnsembleInput,
    *,
    server: Any = None,
    token: str | None = None,
    tls_ca: Path | bytes | None = None,
    workers: int = 1,
    timeout: float | None = None,
) -> EnsembleFrames:
    """Simulate every cell (grid point × arm) of ``ensemble`` and return its tables.

    ``workers`` local worker processes (1: a thread of this process); ``server`` as for
    :func:`run` (the server's executor decides the workers there).
    """
    built = ensemble if isinstance(ensemble, Ensemble) else Ensemble.from_dict(ensemble)
    if server is None:
        tables, document = _beside_loop(lambda: _ensemble_here(built, workers))
    else:
        with _client(server, token, tls_ca) as client:
            made = client.create_ensemble(built)
            final = client.wait_ensemble(made.ensemble_id, timeout=timeout)
            _check_final("ensemble", made.ensemble_id, final.state, final.error)
            tables = client.ensemble_result_tables(made.ensemble_id)
            document = client.ensemble_summary(made.ensemble_id)
    frames = {name: table.to_pandas() for name, table in tables.items()}
    return EnsembleFrames(ensemble=built, summary=document, **frames)


@dataclass(frozen=True)
class CalibrationFrames:
    """A finished calibration (the files ``escapesim calibrate --out`` writes, read back).

    ``particles``: every generation's particles with weights; ``generations``: epsilon,
    evaluations and acceptance rate per generation; ``summary``: the summary document
    (posterior median and 95% credible interval per parameter); ``out``: the folder.
    """

    spec: CalibrationSpec
    particles: pd.DataFrame
    generations: pd.DataFrame
    summary: dict[str, Any]
    out: Path


def calibrate(
    calibration: CalibrationSpec | Mapping[str, Any] | str | Path,
    *,
    out: str | Path,
    workers: int = 1,
    directory: str | Path = ".",
    server: Any = None,
    token: str | None = None,
    tls_ca: Path | bytes | None = None,
) -> CalibrationFrames:
    """Fit a calibration by ABC-SMC (docs/calibration.md) on this machine, or as a
    durable analysis on ``server`` (as for :func:`run`; give a path or a mapping then),
    write its outputs to ``out`` and return them.

    ``calibration``: a calibration file's path, its mapping (paths in it relative to
    ``directory``) or a built spec. Raises :class:`ScenarioError` (or, for a file or a
    mapping, the command line's ``UsageError``) naming every bad field or table cell;
    ``RuntimeError`` if the server's analysis did not succeed.
    """
    from escapesim.service.cli.calibrate import inputs_of, load_inputs
    from escapesim.service.fitting.calibration_local import calibrate_here

    folder = Path(out)
    if isinstance(calibration, CalibrationSpec):
        if server is not None:
            raise ValueError("on a server, give the calibration file's path or mapping")
        spec, mapping, rows = calibration, dict[str, Any](), list[dict[str, Any]]()
    elif isinstance(calibration, str | Path):
        mapping, rows, spec = load_inputs(str(calibration))
    else:
        mapping, rows, spec = inputs_of(calibration, Path(directory), where="calibration")
    if server is None:
        document = _beside_loop(lambda: calibrate_here(spec, folder, workers=workers))
    else:
        document = _calibrate_remote(server, token, tls_ca, (mapping, rows, spec), folder)
    return CalibrationFrames(
        spec, pd.read_parquet(folder / "particles.parquet"),
        pd.read_parquet(folder / "generations.parquet"), document, folder,
    )  # fmt: skip


def _calibrate_remote(
    server: Any, token: str | None, tls_ca: Path | bytes | None,
    inputs: tuple[dict[str, Any], list[dict[str, Any]], CalibrationSpec], folder: Path,
) -> dict[str, Any]:  # fmt: skip
    """Fit on ``server`` and write its outputs to ``folder`` as a local fit writes them."""
    from escapesim.service.cli.analyses_on_server import write_calibration
    from escapesim.service.client.analyses import KIND_TABLES

    mapping, rows, spec = inputs
    with _client(server, token, tls_ca) as client:
        made = client.create_analysis("calibration", mapping, rows)
        final = client.wait_analysis(made.analysis_id)
        _check_final("analysis", made.analysis_id, final.state, final.error)
        tables = client.analysis_result_tables(made.analysis_id, KIND_TABLES["calibration"])
        document: dict[str, Any] = client.analysis_summary(made.analysis_id)
    write_calibration(tables, document, spec, folder)
    return document


@dataclass(frozen=True)
class SensitivityFrames:
    """A finished sensitivity analysis: ``samples`` (the design, one row per parameter
    set with its quantities) and ``indices`` (one row per quantity × parameter: Morris
    μ*, its interval and σ, or Sobol S1, ST and their intervals)."""

    spec: SensitivitySpec
    samples: pd.DataFrame
    indices: pd.DataFrame


def sensitivity(
    analysis: SensitivitySpec | Mapping[str, Any] | str | Path,
    *,
    workers: int = 1,
    server: Any = None,
    token: str | None = None,
    tls_ca: Path | bytes | None = None,
) -> SensitivityFrames:
    """Run a Morris or Sobol analysis (docs/sensitivity.md) on this machine, or as a
    durable analysis on ``server`` (as for :func:`run`; give a path or a mapping then).

    ``analysis``: a sensitivity file's path, its mapping or a built spec. Raises
    :class:`ScenarioError` (or, for a file, the command line's ``UsageError``) naming
    every bad field; ``RuntimeError`` if the server's analysis did not succeed.
    """
    from escapesim.service.cli.sensitivity import load_file
    from escapesim.service.fitting.sensitivity_analysis import analyse
    from escapesim.service.fitting.sensitivity_runs import simulated

    if isinstance(analysis, SensitivitySpec):
        if server is not None:
            raise ValueError("on a server, give the sensitivity file's path or mapping")
        spec, mapping = analysis, dict[str, Any]()
    elif isinstance(analysis, str | Path):
        mapping, spec = load_file(str(analysis))
    else:
        mapping = dict(analysis)
        spec = SensitivitySpec.from_dict(mapping)
    if server is None:
        result = _beside_loop(lambda: analyse(spec, simulated(spec, workers=workers)))
        samples, indices = result.samples, result.indices
    else:
        with _client(server, token, tls_ca) as client:
            made = client.create_analysis("sensitivity", mapping)
            final = client.wait_analysis(made.analysis_id)
            _check_final("analysis", made.analysis_id, final.state, final.error)
            found = client.analysis_result_tables(made.analysis_id, ["design", "indices"])
        samples, indices = found["design"], found["indices"]
    return SensitivityFrames(spec, samples.to_pandas(), indices.to_pandas())


def validate(
    scenario: ScenarioInput,
    *,
    server: Any = None,
    token: str | None = None,
    tls_ca: Path | bytes | None = None,
) -> list[FieldViolation]:
    """Every problem with ``scenario``, returned (an empty list: it is valid).

    Paths are the scenario file's (``parameters.s``, ``therapies[0].at_days``), here and
    from a server alike.
    """
    if server is None:
        try:
            _scenario(scenario)
        except ScenarioError as error:
            return list(error.violations)
        return []
    with _client(server, token, tls_ca) as client:
        found = client.validate(scenario)
    return [FieldViolation(v.field.removeprefix("scenario."), v.message) for v in found]


def outcome_summary(replicates: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome of a replicate table: its count of ``n``, the proportion and the
    95% Wilson score interval (Wilson 1927, as :func:`escapesim.engine.summary.wilson`)."""
    n = len(replicates)
    counts = replicates["outcome"].value_counts() if n else pd.Series(dtype=int)
    rows = []
    for kind in OutcomeKind:
        count = int(counts.get(str(kind), 0))
        share = wilson(count, n)
        rows.append(
            {"outcome": str(kind), "replicates": count, "n": n,
             "probability": share.estimate, "low": share.lower, "high": share.upper}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _scenario(scenario: ScenarioInput) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else Scenario.from_dict(dict(scenario))


def _ensemble_here(built: Ensemble, workers: int) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    cells = built.points()
    found = simulate_here([c.scenario for c in cells], workers=workers)
    finished = ensemble_tables.summarise_cells(built, cells, found)
    return (
        ensemble_tables.result_tables(built, finished),
        ensemble_tables.summary_document(built, finished),
    )


def _run_remote(
    client: Any, scenario: Scenario, timeout: float | None
) -> tuple[pa.Table, pa.Table]:
    made = client.create_run(scenario)
    final = client.wait(made.run_id, timeout=timeout)
    _check_final("run", made.run_id, final.state, final.error)
    tables = client.result_tables(made.run_id)
    return tables["trajectories"], tables["replicates"]


def _check_final(what: str, ident: str, state: Any, error: str | None) -> None:
    if str(state) != "succeeded":
        raise RuntimeError(f"{what} {ident} ended {state}" + (f": {error}" if error else ""))


@contextmanager
def _client(server: Any, token: str | None, tls_ca: Path | bytes | None) -> Iterator[Any]:
    """The client of ``server``: the one given (left open), or a new one (closed after)."""
    # Imported here: the gRPC client takes ~0.4 s to import, which local runs never need.
    from escapesim.service.client import Client

    if isinstance(server, Client):
        yield server
        return
    with Client(str(server), token=token, tls_ca=tls_ca) as client:
        yield client


def _beside_loop(work: Callable[[], T]) -> T:
    """``work()`` here, or on a thread when this thread runs an event loop (a notebook's
    kernel does): the local executor runs its own loop, and one thread holds one loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="escapesim") as pool:
        return pool.submit(work).result()
