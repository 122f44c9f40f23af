"""``calibrate --server`` and ``sensitivity --server``: submit the analysis, follow it,
fetch its tables and write the local commands' outputs from them.

The spec is checked here first (the same checks the server runs, with the file's field
paths), then sent as typed messages: the measurement table's rows travel in the request,
since the server cannot read this machine's files. The server's tables and summary are
written as they came; the figures are drawn here from them, as the local commands draw
theirs. Exit status: 0 success, 1 the server or the analysis failed, 2 bad input.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.cli.on_server import connect, report
from escapesim.service.client import AnalysisInfo, ServiceError
from escapesim.service.client.analyses import KIND_TABLES
from escapesim.service.fitting import sensitivity_outputs
from escapesim.service.fitting.sensitivity_analysis import SensitivityResult
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.results.tables import write_parquet
from escapesim.service.store.run_record import RunState


def _fetch(
    server: str, command: str, kind: str, spec: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]] = (),
) -> tuple[dict[str, pa.Table], dict[str, Any]] | int:  # fmt: skip
    """Run the analysis on ``server``: its tables and summary, or the exit status."""
    try:
        with connect(server) as client:
            found = client.create_analysis(kind, spec, rows, request_id=uuid.uuid4().hex)
            print(f"analysis {found.analysis_id} on {server}", file=sys.stderr)
            seen = [0]

            def show(now: AnalysisInfo) -> None:
                if kind == "calibration" and now.generations_done > seen[0]:
                    seen[0] = now.generations_done
                    print(f"generation {now.generations_done - 1}: {now.evaluations_done} "
                          "simulated so far", file=sys.stderr)  # fmt: skip

            found = client.wait_analysis(found.analysis_id, on_update=show)
            if found.state is not RunState.SUCCEEDED:
                reason = f": {found.error}" if found.error else ""
                print(f"escapesim {command}: analysis {found.analysis_id} "
                      f"{found.state.value}{reason}", file=sys.stderr)  # fmt: skip
                return 1
            tables = client.analysis_result_tables(found.analysis_id, KIND_TABLES[kind])
            return tables, client.analysis_summary(found.analysis_id)
    except ServiceError as error:
        return report(command, error)


def calibrate(
    server: str, mapping: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
    spec: CalibrationSpec, out: Path,
) -> dict[str, Any] | int:  # fmt: skip
    """Fit on ``server``; writes the local command's outputs to ``out`` and returns the
    summary document (or the exit status)."""
    fetched = _fetch(server, "calibrate", "calibration", mapping, rows)
    if isinstance(fetched, int):
        return fetched
    tables, document = fetched
    write_calibration(tables, document, spec, out)
    return document


def write_calibration(
    tables: Mapping[str, pa.Table], document: Mapping[str, Any], spec: CalibrationSpec,
    out: Path,
) -> None:  # fmt: skip
    """Write a server's calibration as the local command writes its own: the tables, the
    summary and the figures (drawn here from the tables)."""
    from escapesim.service.fitting import calibration_outputs

    out.mkdir(parents=True, exist_ok=True)
    for name in KIND_TABLES["calibration"]:
        write_parquet(tables[name], out / f"{name}.parquet")
    (out / "summary.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    particles = tables["particles"].to_pandas()
    last = particles[particles["generation"] == particles["generation"].max()]
    calibration_outputs.posterior_figure(spec, last.reset_index(drop=True), out / "posterior.png")
    checks = tables["predictive"].to_pandas()
    if len(checks):
        calibration_outputs.predictive_figure(spec, checks, out / "predictive.png")


def sensitivity(
    server: str, mapping: Mapping[str, Any], spec: SensitivitySpec, out: Path
) -> SensitivityResult | int:
    """Analyse on ``server``; writes the local command's outputs to ``out``."""
    fetched = _fetch(server, "sensitivity", "sensitivity", mapping)
    if isinstance(fetched, int):
        return fetched
    tables, document = fetched
    result = SensitivityResult(samples=tables["design"], indices=tables["indices"])
    sensitivity_outputs.write(result, spec, out, document.get("seconds"))
    return result
