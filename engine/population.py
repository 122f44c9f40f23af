"""Parameter populations: each replicate a virtual patient with its own parameters.

A :class:`Population` draws some of a scenario's parameters afresh for every replicate,
from named distributions (optionally correlated through a Gaussian copula) and/or from a
table of weighted particles (a calibration posterior, resampled by weight). The rest of
the scenario's parameters stay as given.

Replicate ``k``'s draw comes from its own named random stream (seed, k, ``population``)
(:mod:`escapesim.engine.rng`): it depends on (seed, k) alone, it leaves the simulation's
streams untouched, and every arm of an ensemble (same seed) gets the same patient ``k``,
so arms stay paired patient by patient.

Bounds: a parameter's bounds (its preset's :class:`~escapesim.engine.network.ParameterSpec`)
are respected in two ways, stated so nobody is surprised. A bounded distribution
(``uniform``, ``log_uniform``) or a particle table that reaches outside them is **refused**
when the scenario is built; an unbounded one (``normal``, ``log_normal``) has its draws
**clipped** to the bounds (so a wide normal puts mass on the bound itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from escapesim.engine.frozen import FrozenMap
from escapesim.engine.rng import stream

#: The stream every replicate's draw comes from (a component name of its own).
STREAM = "population"

#: Each distribution's arguments, in file order. ``log_normal``: ``median`` is exp(μ)
#: and ``sigma`` the standard deviation of the log; ``log_uniform``: uniform in the log.
ARGUMENTS: Mapping[str, tuple[str, str]] = {
    "normal": ("mean", "sd"),
    "log_normal": ("median", "sigma"),
    "uniform": ("low", "high"),
    "log_uniform": ("low", "high"),
}
#: Distributions whose support is the whole line (or half-line): draws are clipped.
CLIPPED = ("normal", "log_normal")


@dataclass(frozen=True, kw_only=True, slots=True)
class Distribution:
    """The marginal law of one parameter: ``kind`` (a key of :data:`ARGUMENTS`) and its
    two arguments by name (``{"mean": 1, "sd": 0.1}``)."""

    parameter: str
    kind: str
    arguments: FrozenMap[float]

    def quantile(self, z: float) -> float:
        """The value at standard-normal score ``z`` (the copula's coordinate)."""
        first, second = (self.arguments[name] for name in ARGUMENTS[self.kind])
        if self.kind == "normal":
            return first + second * z
        if self.kind == "log_normal":
            return first * math.exp(second * z)
        u = 0.5 * math.erfc(-z / math.sqrt(2.0))  # Φ(z), the normal CDF
        if self.kind == "uniform":
            return first + (second - first) * u
        return math.exp(math.log(first) + (math.log(second) - math.log(first)) * u)


@dataclass(frozen=True, kw_only=True, slots=True)
class Correlation:
    """The correlation ``rho`` of two distributions' normal scores (Gaussian copula).

    For two ``normal`` parameters it is their Pearson correlation; for ``log_normal``
    ones, that of their logs; for the others, of their normal scores.
    """

    first: str
    second: str
    rho: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Particles:
    """A weighted table of parameter vectors (a calibration posterior).

    ``values`` holds one row per particle, one column per name in ``parameters``;
    ``weights`` (non-negative, not all zero) need not sum to one.
    """

    parameters: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Population:
    """Distributions and/or particles over disjoint sets of parameters; build one with
    :func:`escapesim.engine.population_file.parse` (or through a scenario's
    ``population``), which validates it."""

    distributions: tuple[Distribution, ...] = ()
    correlations: tuple[Correlation, ...] = ()
    particles: Particles | None = None
    _factor: tuple[tuple[float, ...], ...] = field(default=(), repr=False, compare=False)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every parameter the population draws: the particles' first, then the rest."""
        drawn = self.particles.parameters if self.particles is not None else ()
        return (*drawn, *(d.parameter for d in self.distributions))

    def correlation_matrix(self) -> np.ndarray:
        """The copula's correlation matrix over :attr:`distributions`, in their order."""
        order = {d.parameter: i for i, d in enumerate(self.distributions)}
        matrix = np.eye(len(order))
        for c in self.correlations:
            i, j = order[c.first], order[c.second]
            matrix[i, j] = matrix[j, i] = c.rho
        return matrix

    def draw(
        self, seed: int, replicate: int, bounds: Mapping[str, tuple[float, float]]
    ) -> dict[str, float]:
        """Replicate ``replicate``'s parameters, a function of (seed, replicate) alone;
        normal and log-normal draws are clipped to ``bounds`` (name → (lower, upper))."""
        rng = stream(seed, replicate, STREAM)
        drawn: dict[str, float] = {}
        if self.particles is not None:
            weights = np.asarray(self.particles.weights, dtype=float)
            row = int(rng.choice(len(weights), p=weights / weights.sum()))
            drawn.update(zip(self.particles.parameters, self.particles.values[row], strict=True))
        if self.distributions:
            # Fixed order of draws (particle index, then the normal scores): adding
            # particles never changes which normal scores a replicate gets.
            scores = self._cholesky() @ rng.standard_normal(len(self.distributions))
            for d, z in zip(self.distributions, scores, strict=True):
                lower, upper = bounds[d.parameter]
                drawn[d.parameter] = float(min(max(d.quantile(float(z)), lower), upper))
        return drawn

    def _cholesky(self) -> np.ndarray:
        if not self._factor:  # frozen: computed once per population object
            factor = np.linalg.cholesky(self.correlation_matrix())
            object.__setattr__(self, "_factor", tuple(map(tuple, factor.tolist())))
        return np.array(self._factor)

    def to_dict(self) -> dict[str, object]:
        """The file form (the shape of the gRPC ``Population`` message)."""
        form: dict[str, object] = {
            "distributions": [
                {"parameter": d.parameter, "kind": d.kind, "arguments": dict(d.arguments)}
                for d in self.distributions
            ],
            "correlations": [
                {"first": c.first, "second": c.second, "rho": c.rho} for c in self.correlations
            ],
        }
        if self.particles is not None:
            form["particles"] = {
                "parameters": list(self.particles.parameters),
                "values": [v for row in self.particles.values for v in row],
                "weights": list(self.particles.weights),
            }
        return form
