"""Turn ``simulate``'s flags and scenario file into one validated :class:`engine.Scenario`.

The scenario file (YAML or JSON) has the schema of :meth:`engine.Scenario.to_dict`; flags
override its values. Every problem is collected before anything runs, and each names the
field and where its value came from (``parameters.s (--set s=-1): must be within ...``).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from escapesim.engine import Network, Scenario, ScenarioError, catalog, network, sbml
from escapesim.service.cli import protocol_flags
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.population_input import read_particles

#: Scenario settings ``--set`` accepts besides the preset's parameters and state variables.
SETTINGS = ("escape_threshold",)

#: Flags that set a top-level scenario field: (attribute on args, field, flag); unset
#: flags are None, so a scenario file's value stands.
CLOCK_FLAGS = (
    ("horizon", "horizon_days", "--horizon"),
    ("interval", "interval_days", "--interval"),
    ("seed", "seed", "--seed"),
    ("replicates", "replicates", "--replicates"),
    ("exact", "exact", "--exact"),
    ("profile", "profile", "--profile"),
    ("stop_at_outcome", "stop_at_outcome", "--stop-at-outcome"),
    ("sample_days", "sample_days", "--sample-days"),
)


class _ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but ``1e7`` is a float (YAML 1.2) rather than a string.

    Scenario files are full of populations like ``T: 1e7``; YAML 1.1 needs a dot
    (``1.0e7``) to read them as numbers, a trap for anyone writing a file by hand.
    """


_ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One ``--set NAME=VALUE``, resolved to the scenario field it sets."""

    field: str  # "parameters.s", "initial.T" or "escape_threshold"
    value: float
    given: str  # the flag as typed, for messages


def load_scenario_file(path: str, *, where: str | None = None) -> dict[str, Any]:
    """Read a scenario file (``.json`` as JSON, anything else as YAML) into a mapping.

    ``where`` starts every message (default ``--scenario PATH``); the ensemble command
    reads its files with the same YAML rules and names them its own way.
    """
    where = where or f"--scenario {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError([f"{where}: cannot read the file ({error})"]) from error
    try:
        # _ScenarioLoader is a SafeLoader: no arbitrary Python objects from a file.
        data = json.loads(text) if path.endswith(".json") else yaml.load(text, _ScenarioLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        kind = "JSON" if path.endswith(".json") else "YAML"
        raise UsageError([f"{where}: not valid {kind} ({_one_line(error)})"]) from error
    if not isinstance(data, Mapping):
        raise UsageError([f"{where}: must hold a mapping of fields"])
    data = dict(data)
    _read_sbml(data, Path(path).parent, where)
    read_particles(data, Path(path).parent, where)
    nested = data.get("scenario")  # an ensemble file's base scenario
    if isinstance(nested, Mapping):
        data["scenario"] = dict(nested)
        _read_sbml(data["scenario"], Path(path).parent, f"{where}: scenario")
        read_particles(data["scenario"], Path(path).parent, f"{where}: scenario")
    return data


def read_sbml_file(path: Path, where: str) -> str:
    """The text of the SBML file at ``path``; raises :class:`UsageError` naming ``where``."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError([f"{where}: cannot read the SBML file ({error})"]) from error


def _read_sbml(data: dict[str, Any], directory: Path, where: str) -> None:
    """A file's ``sbml`` is a path (relative to the file); the scenario carries the text."""
    value = data.get("sbml")
    if isinstance(value, str) and value and not value.lstrip().startswith("<"):
        data["sbml"] = read_sbml_file(directory / value, f"{where}: sbml {value}")


def parse_assignment(text: str, net: Network) -> Assignment:
    """Resolve one ``NAME=VALUE`` against the preset; raises :class:`UsageError`."""
    given = f"--set {text}"
    name, equals, raw = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise UsageError([f"{given}: expected NAME=VALUE"])
    field = _field_of(name, net)
    if field is None:
        raise UsageError([f"{given}: {name!r} is not {_known_names(net)}"])
    try:
        value = float(raw)
    except ValueError:
        raise UsageError([f"{given}: {field}: {raw.strip()!r} is not a number"]) from None
    if not math.isfinite(value):
        raise UsageError([f"{given}: {field}: must be a finite number"])
    return Assignment(field=field, value=value, given=given)


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The validated scenario ``simulate`` was asked for; raises :class:`UsageError`."""
    data = load_scenario_file(args.scenario) if args.scenario else {}
    if args.sbml is not None:
        data["sbml"] = read_sbml_file(Path(args.sbml), f"--sbml {args.sbml}")
        data.setdefault("preset", "")
    if args.preset is not None:
        data["preset"] = args.preset
    net = _preset_of(data)
    problems: list[str] = []
    origin = {"preset": "--preset"} if args.preset is not None else {}
    for text in args.set or []:
        try:
            assignment = parse_assignment(text, net)
        except UsageError as error:
            problems += error.problems
            continue
        _apply(data, assignment.field, assignment.value)
        origin[assignment.field] = assignment.given
    for attribute, field, flag in CLOCK_FLAGS:
        value = getattr(args, attribute)
        if value is not None:
            data[field] = value
            origin[field] = f"{flag} {value}"
    problems += _apply_protocol(data, args, origin)
    try:
        scenario = Scenario.from_dict(data)
    except ScenarioError as error:
        source = f"in {args.scenario}" if args.scenario else None
        problems += [
            _describe(v.field, v.message, _origin_of(v.field, origin) or source)
            for v in error.violations
        ]
    if problems:
        raise UsageError(problems)
    return scenario


def _apply_protocol(
    data: dict[str, Any], args: argparse.Namespace, origin: dict[str, str]
) -> list[str]:
    """Add ``--therapy`` flags after the file's therapies and apply ``--mechanism`` switches."""
    problems: list[str] = []
    therapies = data.get("therapies", [])
    for text in args.therapy or []:
        try:
            flag = protocol_flags.parse_therapy(text)
        except UsageError as error:
            problems += error.problems
            continue
        if isinstance(therapies, list):  # else the engine reports the file's bad section
            origin[f"therapies[{len(therapies)}]"] = flag.given
            therapies = [*therapies, flag.therapy]
    if therapies:
        data["therapies"] = therapies
    for text in args.mechanism or []:
        try:
            name, enabled, given = protocol_flags.parse_switch(text)
        except UsageError as error:
            problems += error.problems
            continue
        mechanisms = data.get("mechanisms", {})
        if isinstance(mechanisms, Mapping):
            data["mechanisms"] = {**mechanisms, name: enabled}
            origin[f"mechanisms.{name}"] = given
    return problems


def _origin_of(field: str, origin: Mapping[str, str]) -> str | None:
    """The flag that set ``field`` or the part of the scenario it lies in
    (``therapies[1].dose`` was set by the flag that added ``therapies[1]``)."""
    while field:
        if field in origin:
            return origin[field]
        field = field[: max(field.rfind("."), field.rfind("["), 0)]
    return None


def _preset_of(data: Mapping[str, Any]) -> Network:
    """The preset named by the flags or file (or the SBML model it carries); without it
    nothing else can be checked."""
    if data.get("sbml"):
        return _sbml_network(data["sbml"])
    if "preset" not in data:
        raise UsageError(["--preset: required (or a --scenario file that names one)"])
    name = data["preset"]
    net = network(name) if isinstance(name, str) else None
    if net is None:
        known = ", ".join(n.name for n in catalog())
        raise UsageError([f"preset: unknown preset {name!r} (known: {known})"])
    return net


def _sbml_network(text: Any) -> Network:
    if not isinstance(text, str):
        raise UsageError(["sbml: must be the path of an SBML file"])
    try:
        return sbml.load_text(text)
    except sbml.SbmlError as error:
        raise UsageError(f"sbml: {problem}" for problem in error.problems) from error


def _field_of(name: str, net: Network) -> str | None:
    """The scenario field a ``--set`` name refers to (parameters win over state names)."""
    if net.parameter(name) is not None:
        return f"parameters.{name}"
    if net.state_variable(name) is not None:
        return f"initial.{name}"
    return name if name in SETTINGS else None


def _known_names(net: Network) -> str:
    parameters = ", ".join(p.name for p in net.parameters)
    state = ", ".join(s.name for s in (*net.species, *net.levels))
    return (
        f"a parameter ({parameters}), initial population or concentration ({state}) "
        f"or setting ({', '.join(SETTINGS)}) of preset {net.name!r}"
    )


def _apply(data: dict[str, Any], field: str, value: float) -> None:
    """Set ``field`` (``section.name`` or a top-level name) in the scenario mapping."""
    section, dot, name = field.partition(".")
    if not dot:
        data[field] = value
        return
    current = data.get(section, {})
    # A malformed section from the file is left as it is for the engine to report.
    if isinstance(current, Mapping):
        data[section] = {**current, name: value}


def _describe(field: str, message: str, origin: str | None) -> str:
    return f"{field} ({origin}): {message}" if origin else f"{field}: {message}"


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
