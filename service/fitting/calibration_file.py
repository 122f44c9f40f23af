"""A calibration file's mapping and its PEtab measurement table, read into a spec.

The mapping (the command line reads the YAML) holds the scenario, the priors, the path
of the measurement table (a PEtab measurement TSV, read with the ``petab`` library),
the conditions and the stopping rules (docs/calibration.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import petab.v1 as petab

from escapesim.engine import FieldViolation, ScenarioError
from escapesim.engine.calibration import CalibrationSpec


def read_measurements(path: Path) -> list[dict[str, Any]]:
    """The rows of a PEtab measurement table (``petab.get_measurement_df``)."""
    try:
        table: pd.DataFrame = petab.get_measurement_df(str(path))
    except (OSError, ValueError, KeyError) as error:
        raise ScenarioError(
            [FieldViolation("measurements", f"cannot read {path}: {error}")]
        ) from None
    return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]


def spec_from_mapping(data: Mapping[str, Any], directory: Path) -> CalibrationSpec:
    """The spec of a calibration file's mapping (paths relative to ``directory``)."""
    given, rows = calibration_inputs(data, directory)
    return CalibrationSpec.from_dict(given, rows)


def calibration_inputs(
    data: Mapping[str, Any], directory: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A calibration file's mapping without its table's path, and the table's rows (what
    :meth:`CalibrationSpec.from_dict` takes, and what a server is sent)."""
    if not isinstance(data, Mapping):
        raise ScenarioError([FieldViolation("calibration", "must be a mapping")])
    given = dict(data)
    raw = given.pop("measurements", None)
    if not isinstance(raw, str | Path):
        raise ScenarioError([FieldViolation("measurements", "must be the path of a PEtab "
                                            "measurement table")])  # fmt: skip
    return given, read_measurements(directory / raw)
