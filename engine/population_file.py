"""A scenario's ``population:`` section: parsed and checked against the preset.

The file form (YAML or JSON, and the shape of the gRPC ``Population`` message)::

    population:
      distributions:
        - {parameter: s, kind: log_normal, arguments: {median: 1.3e4, sigma: 0.3}}
        - {parameter: r, kind: uniform, arguments: {low: 0.1, high: 0.3}}
      correlations:
        - {first: s, second: r, rho: 0.5}
      particles:              # a weighted table; a scenario file may give {path: x.parquet}
        parameters: [a, b]
        values: [1.0, 2.0, 1.5, 2.5]   # row-major: one row per particle
        weights: [0.3, 0.7]

Every problem is a :class:`FieldViolation` naming its field
(``population.distributions[1].arguments.low``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from escapesim.engine.errors import FieldViolation
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Network
from escapesim.engine.population import (
    ARGUMENTS,
    CLIPPED,
    Correlation,
    Distribution,
    Particles,
    Population,
)
from escapesim.engine.scenario_checks import is_number

#: Caps that keep one request small: a particle table travels in the Scenario message,
#: beside up to 512 kB of SBML, under the 4 MiB gRPC limit (20k numbers are 0.16 MB; a
#: posterior of 1,000 particles of 8 parameters is 8k numbers).
MAX_PARTICLES = 4_000
MAX_PARTICLE_NUMBERS = 20_000
MAX_DISTRIBUTIONS = 64
MAX_CORRELATIONS = 128

_WHERE = "population"
_KEYS = {"distributions", "correlations", "particles"}


def parse(raw: Any, net: Network) -> tuple[Population | None, list[FieldViolation]]:
    """The population of ``raw`` (the file form) for ``net``, or None and the violations."""
    empty = isinstance(raw, Mapping) and set(raw) <= _KEYS and not any(raw.values())
    if raw is None or empty:
        return None, []
    if not isinstance(raw, Mapping):
        return None, [FieldViolation(_WHERE, "must be a mapping")]
    violations = [FieldViolation(f"{_WHERE}.{k}", "unknown field") for k in raw if k not in _KEYS]
    distributions, found = _distributions(raw.get("distributions") or [], net)
    violations += found
    particles, found = _particles(raw.get("particles"), net)
    violations += found
    named = [d.parameter for d in distributions]
    both = set(named) & set(particles.parameters if particles else ())
    violations += [
        FieldViolation(f"{_WHERE}.particles.parameters", f"{name!r} also has a distribution")
        for name in sorted(both)
    ]
    correlations, found = _correlations(raw.get("correlations") or [], named)
    violations += found
    if violations:
        return None, violations
    population = Population(
        distributions=tuple(distributions), correlations=tuple(correlations), particles=particles
    )
    if correlations and np.linalg.eigvalsh(population.correlation_matrix()).min() <= 1e-12:
        message = "the correlation matrix must be positive definite"
        return None, [FieldViolation(f"{_WHERE}.correlations", message)]
    return population, []


def _distributions(raw: Any, net: Network) -> tuple[list[Distribution], list[FieldViolation]]:
    where = f"{_WHERE}.distributions"
    if not _is_list(raw):
        return [], [FieldViolation(where, "must be a list")]
    if len(raw) > MAX_DISTRIBUTIONS:
        return [], [FieldViolation(where, f"at most {MAX_DISTRIBUTIONS} distributions")]
    found: list[Distribution] = []
    violations: list[FieldViolation] = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            violations.append(FieldViolation(here, "must be a mapping"))
            continue
        problems = _distribution_problems(item, here, net, [d.parameter for d in found])
        violations += problems
        if not problems:
            arguments = {k: float(v) for k, v in item["arguments"].items()}
            found.append(Distribution(
                parameter=item["parameter"], kind=item["kind"], arguments=FrozenMap(arguments),
            ))  # fmt: skip
    return found, violations


def _distribution_problems(
    item: Mapping[str, Any], here: str, net: Network, seen: Sequence[str]
) -> list[FieldViolation]:
    unknown = set(item) - {"parameter", "kind", "arguments"}
    problems = [FieldViolation(f"{here}.{k}", "unknown field") for k in sorted(unknown)]
    name, kind, arguments = item.get("parameter"), item.get("kind"), item.get("arguments")
    spec = net.parameter(name) if isinstance(name, str) else None
    if spec is None:
        problems.append(FieldViolation(f"{here}.parameter", f"unknown parameter of {net.name!r}"))
    elif name in seen:
        problems.append(FieldViolation(f"{here}.parameter", f"{name!r} has two distributions"))
    if not isinstance(kind, str) or kind not in ARGUMENTS:
        return [*problems, FieldViolation(f"{here}.kind", f"must be one of {sorted(ARGUMENTS)}")]
    expected = ARGUMENTS[kind]
    if not isinstance(arguments, Mapping) or set(arguments) != set(expected):
        message = f"a {kind} distribution takes exactly {{{', '.join(expected)}}}"
        return [*problems, FieldViolation(f"{here}.arguments", message)]
    for key in expected:
        value = arguments[key]
        if not is_number(value) or not math.isfinite(value):
            problems.append(FieldViolation(f"{here}.arguments.{key}", "must be a finite number"))
    if problems or spec is None:
        return problems
    first, second = (float(arguments[k]) for k in expected)
    return _law_problems(kind, first, second, (spec.lower, spec.upper), f"{here}.arguments")


def _law_problems(
    kind: str, first: float, second: float, bounds: tuple[float, float], where: str
) -> list[FieldViolation]:
    """A law's own constraints, and (for bounded laws) its support within ``bounds``."""
    lower, upper = bounds
    names = ARGUMENTS[kind]
    if kind in CLIPPED:
        if second <= 0:
            return [FieldViolation(f"{where}.{names[1]}", "must be > 0")]
        if kind == "log_normal" and first <= 0:
            return [FieldViolation(f"{where}.{names[0]}", "must be > 0")]
        return []
    if first >= second:
        return [FieldViolation(f"{where}.high", "must be > low")]
    if kind == "log_uniform" and first <= 0:
        return [FieldViolation(f"{where}.low", "must be > 0")]
    if first < lower or second > upper:
        message = f"must lie within the parameter's bounds [{lower:g}, {upper:g}]"
        return [FieldViolation(f"{where}.{'low' if first < lower else 'high'}", message)]
    return []


def _correlations(raw: Any, named: Sequence[str]) -> tuple[list[Correlation], list[FieldViolation]]:
    where = f"{_WHERE}.correlations"
    if not _is_list(raw):
        return [], [FieldViolation(where, "must be a list")]
    if len(raw) > MAX_CORRELATIONS:
        return [], [FieldViolation(where, f"at most {MAX_CORRELATIONS} correlations")]
    found: list[Correlation] = []
    violations: list[FieldViolation] = []
    pairs: set[frozenset[str]] = set()
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"first", "second", "rho"}:
            violations.append(FieldViolation(here, "must be a mapping of first, second, rho"))
            continue
        first, second, rho = str(item.get("first")), str(item.get("second")), item.get("rho", 0.0)
        problems = [
            FieldViolation(f"{here}.{key}", "must name a parameter with a distribution")
            for key, name in (("first", first), ("second", second))
            if name not in named
        ]
        if not problems and (first == second or frozenset((first, second)) in pairs):
            problems.append(FieldViolation(f"{here}.second", "must be a new pair of parameters"))
        if not is_number(rho) or not -1 < rho < 1:
            problems.append(FieldViolation(f"{here}.rho", "must be a number in (-1, 1)"))
        violations += problems
        if not problems:
            pairs.add(frozenset((first, second)))
            found.append(Correlation(first=first, second=second, rho=float(rho)))
    return found, violations


def _particles(raw: Any, net: Network) -> tuple[Particles | None, list[FieldViolation]]:
    where = f"{_WHERE}.particles"
    if raw is None or (isinstance(raw, Mapping) and not raw):
        return None, []
    if not isinstance(raw, Mapping) or set(raw) != {"parameters", "values", "weights"}:
        if isinstance(raw, Mapping) and "path" in raw:
            return None, [FieldViolation(f"{where}.path", "is read by the command line only")]
        return None, [FieldViolation(where, "must be a mapping of parameters, values, weights")]
    names, values, weights = raw["parameters"], raw["values"], raw["weights"]
    if not _is_list(names) or not names or not all(isinstance(n, str) for n in names):
        return None, [FieldViolation(f"{where}.parameters", "must be a list of names")]
    problems = [
        FieldViolation(f"{where}.parameters[{i}]", f"unknown parameter of {net.name!r}")
        for i, n in enumerate(names)
        if net.parameter(n) is None
    ]
    if len(set(names)) != len(names):
        problems.append(FieldViolation(f"{where}.parameters", "names a parameter twice"))
    for key, column in (("values", values), ("weights", weights)):
        if not _is_list(column) or not all(is_number(v) and math.isfinite(v) for v in column):
            problems.append(FieldViolation(f"{where}.{key}", "must be a list of finite numbers"))
    if problems:
        return None, problems
    return _particle_table(list(names), values, weights, net, where)


def _particle_table(
    names: list[str], values: Sequence[float], weights: Sequence[float], net: Network, where: str
) -> tuple[Particles | None, list[FieldViolation]]:
    rows = len(weights)
    if not 0 < rows <= MAX_PARTICLES or len(values) > MAX_PARTICLE_NUMBERS:
        message = f"between 1 and {MAX_PARTICLES} particles, {MAX_PARTICLE_NUMBERS} numbers"
        return None, [FieldViolation(f"{where}.weights", message)]
    if len(values) != rows * len(names):
        message = f"must hold {rows} rows × {len(names)} parameters = {rows * len(names)} numbers"
        return None, [FieldViolation(f"{where}.values", message)]
    if min(weights) < 0 or sum(weights) <= 0:
        return None, [FieldViolation(f"{where}.weights", "must be >= 0 and not all zero")]
    table = np.asarray(values, dtype=float).reshape(rows, len(names))
    for j, name in enumerate(names):
        spec = net.parameter(name)
        assert spec is not None, "checked above"
        outside = np.flatnonzero((table[:, j] < spec.lower) | (table[:, j] > spec.upper))
        if outside.size:
            message = f"{name} outside its bounds [{spec.lower:g}, {spec.upper:g}]"
            return None, [FieldViolation(f"{where}.values[row {int(outside[0])}]", message)]
    particles = Particles(
        parameters=tuple(names),
        values=tuple(tuple(float(v) for v in row) for row in table.tolist()),
        weights=tuple(float(w) for w in weights),
    )
    return particles, []


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)
