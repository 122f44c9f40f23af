"""Priors of the fitted parameters, checked against the parameters' own bounds.

Four kinds (issue 15): ``uniform`` (``low``, ``high``), ``log_uniform`` (``low``,
``high`` > 0: uniform in the logarithm), ``normal`` (``mean``, ``sd``) and
``log_normal`` (``mean``, ``sd`` of the natural logarithm). Normal kinds are truncated
to the parameter's :class:`~escapesim.engine.network.ParameterSpec` bounds, so every draw
is a value a scenario accepts. Log kinds are sampled in the logarithm (the name the
sampler sees is ``ln_<parameter>``): ABC-SMC's perturbation kernels then move a rate
spanning decades by factors, not by a fixed step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from escapesim.engine.errors import FieldViolation
from escapesim.engine.network import Network
from escapesim.engine.scenario_checks import is_number

PRIOR_KINDS = ("uniform", "log_uniform", "normal", "log_normal")
_KEYS = {"uniform": ("low", "high"), "log_uniform": ("low", "high"),
         "normal": ("mean", "sd"), "log_normal": ("mean", "sd")}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class Prior:
    """One fitted parameter's prior; ``first``/``second`` are (low, high) or (mean, sd)
    as the kind says, ``lower``/``upper`` the parameter's bounds."""

    parameter: str
    kind: str
    first: float
    second: float
    lower: float
    upper: float

    @property
    def log(self) -> bool:
        """Whether the sampler works in the natural logarithm of the value."""
        return self.kind.startswith("log_")

    @property
    def name(self) -> str:
        """The name the sampler sees (``ln_<parameter>`` for the log kinds)."""
        return f"ln_{self.parameter}" if self.log else self.parameter

    def support(self) -> tuple[float, float]:
        """Where the sampler's variable lives (a truncated normal's truncation)."""
        if self.kind == "uniform":
            return self.first, self.second
        if self.kind == "log_uniform":
            return math.log(self.first), math.log(self.second)
        if self.kind == "normal":
            return self.lower, self.upper
        return _ln(self.lower), _ln(self.upper)

    def value(self, sampled: float) -> float:
        """The parameter's value for the sampler's variable, clipped to the bounds (a
        logarithm's round trip may land a last bit outside them)."""
        raw = math.exp(sampled) if self.log else sampled
        return min(max(raw, self.lower), self.upper)

    def typical(self, default: float) -> float:
        """A value the prior allows: the middle of its support (``default``, the
        parameter's default, when the support is unbounded)."""
        low, high = self.support()
        return self.value((low + high) / 2) if math.isfinite(low + high) else default

    def to_dict(self) -> dict[str, Any]:
        """The calibration file's form of this prior."""
        a, b = _KEYS[self.kind]
        return {"kind": self.kind, a: self.first, b: self.second}


def _ln(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def parse_priors(net: Network, data: Any) -> tuple[tuple[Prior, ...], list[FieldViolation]]:
    """The priors of ``data`` (parameter name → ``{kind, ...}``) and every problem, each
    naming its field (``priors.a.low``)."""
    if not isinstance(data, Mapping) or not data:
        return (), [FieldViolation("priors", "must map at least one parameter to its prior")]
    priors, violations = [], []
    for name, raw in data.items():
        prior, found = _one(net, str(name), raw)
        violations += found
        if prior is not None:
            priors.append(prior)
    return tuple(priors), violations


def _one(net: Network, name: str, raw: Any) -> tuple[Prior | None, list[FieldViolation]]:
    where = f"priors.{name}"
    spec = net.parameter(name)
    if spec is None:
        return None, [FieldViolation(where, f"unknown parameter of preset {net.name!r}")]
    if not isinstance(raw, Mapping):
        return None, [FieldViolation(where, "must be a mapping with kind and its values")]
    kind = raw.get("kind")
    if kind not in PRIOR_KINDS:
        return None, [FieldViolation(f"{where}.kind", f"must be one of {', '.join(PRIOR_KINDS)}")]
    a, b = _KEYS[kind]
    unknown = set(raw) - {"kind", a, b}
    found = [FieldViolation(f"{where}.{k}", "unknown field") for k in sorted(map(str, unknown))]
    for key in (a, b):
        value: Any = raw.get(key)
        if not is_number(value) or not math.isfinite(float(value)):
            found.append(FieldViolation(f"{where}.{key}", "must be a finite number"))
    if found:
        return None, found
    first, second = float(raw[a]), float(raw[b])
    found = _check_values(where, kind, first, second, spec.lower, spec.upper)
    prior = Prior(parameter=name, kind=kind, first=first, second=second,
                  lower=spec.lower, upper=spec.upper)  # fmt: skip
    return (None, found) if found else (prior, [])


def _check_values(
    where: str, kind: str, first: float, second: float, lower: float, upper: float
) -> list[FieldViolation]:
    bounds = f"the parameter's bounds [{lower:g}, {upper:g}]"
    if kind in ("uniform", "log_uniform"):
        if not first < second:
            return [FieldViolation(f"{where}.high", "must be greater than low")]
        if kind == "log_uniform" and first <= 0:
            return [FieldViolation(f"{where}.low", "must be > 0 (a log-uniform prior)")]
        if first < lower or second > upper:
            return [FieldViolation(where, f"[{first:g}, {second:g}] must lie within {bounds}")]
        return []
    if not second > 0:
        return [FieldViolation(f"{where}.sd", "must be > 0")]
    centre = math.exp(first) if kind == "log_normal" else first
    if not lower <= centre <= upper:
        return [FieldViolation(f"{where}.mean", f"must put the centre within {bounds}")]
    return []
