"""The processes of the SBML Discrete Stochastic Models Test Suite, and their exact laws.

DSMTS (Evans, Gillespie & Wilkinson, Bioinformatics 24:285, 2008) holds a stochastic
simulator to n = 10,000 replicates of small processes whose mean and variance are known
at every sample time: every sample's ``Z = sqrt(n)·(X̄ − μ)/σ`` within ±3 and
``Y = sqrt(n/2)·(S²/σ² − 1)`` within ±5.

The processes are built here as test networks with the engine's public Network API (not
presets: they exist to check the kernel, not to model biology), and run through the same
:class:`~escapesim.engine.Simulation` a preset runs through. The birth–death cases use
the ``birth_death`` preset itself; the timed reset is a therapy of that network, so it
travels through the simulation's calendar like any dose.

The exact references are computed here, independently of the engine: closed forms for
the linear processes (their moment equations close), and the chemical master equation,
solved numerically, for dimerisation.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import expm_multiply

from escapesim import engine
from escapesim.engine.compiled import NO_LEVELS, RATE_LAW, CompiledKinetics, Native, RateLaw
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import (
    Administered,
    Channel,
    FloatArray,
    Network,
    ParameterSpec,
    TherapyContext,
    TherapySpec,
)
from escapesim.engine.presets import birth_death
from tests.dsmts_kernel import kernel_alone, run_kernel

#: DSMTS's clock: samples at t = 0, 1, ..., 50.
HORIZON = 50.0
TIMES = np.arange(0.0, HORIZON + 0.5, 1.0)

#: A law's mean and variance at :data:`TIMES`.
Moments = tuple[FloatArray, FloatArray]


def _parameter(name: str, description: str) -> ParameterSpec:
    return ParameterSpec(name=name, unit="1/time", default=1.0, upper=1e6,
                         description=description, source="DSMTS")  # fmt: skip


def _species(name: str) -> engine.Species:
    return engine.Species(name=name, unit="molecules", initial=0.0, description=name)


# -- immigration–death, single or batch: ∅ → k·X at alpha, X → ∅ at mu·X -----------------


def _immigration_death(
    counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray
) -> None:
    out[0] = p[0]
    out[1] = p[1] * counts[0]


IMMIGRATION_DEATH: Native[RateLaw] = Native(_immigration_death, RATE_LAW)


def _bind_immigration(
    values: Mapping[str, float], switches: Mapping[str, bool]
) -> CompiledKinetics:
    del switches
    parameters = np.array([values["alpha"], values["mu"]])
    return CompiledKinetics(IMMIGRATION_DEATH, NO_LEVELS, parameters, 2, 0)


def immigration_death(batch: int) -> Network:
    """∅ → ``batch``·X at rate alpha, X → ∅ at rate mu·X (DSMTS 002, and 004 for batches)."""
    return Network(
        name=f"dsmts_immigration_death_{batch}",
        title="immigration-death", citation="DSMTS", splitting="",
        species=(_species("X"),), levels=(),
        parameters=(_parameter("alpha", "immigration events"), _parameter("mu", "death")),
        channels=(
            Channel(name="immigration", change=FrozenMap({"X": batch}), description="∅ → kX"),
            Channel(name="death", change=FrozenMap({"X": -1}), description="X → ∅"),
        ),
        tumour=(), bind=_bind_immigration,
    )  # fmt: skip


def immigration_death_moments(alpha: float, mu: float, batch: int, x0: float) -> Moments:
    """Exact mean and variance: survivors of X(0) are binomial, and each batch arriving
    at time s leaves Binomial(k, e^{−mu(t−s)}) items, a compound Poisson sum:
    Var = x0·q(1−q) + alpha·∫(k·p(1−p) + k²p²) du over p = e^{−mu·u}, q = e^{−mu·t}."""
    q = np.exp(-mu * TIMES)
    mean = x0 * q + alpha * batch * (1 - q) / mu
    var = x0 * q * (1 - q) + alpha * (
        batch * (1 - q) / mu + (batch * batch - batch) * (1 - q * q) / (2 * mu)
    )
    return mean, var


# -- dimerisation: 2P → P2 at k1·P(P−1)/2, P2 → 2P at k2·P2 --------------------------------


def _dimerisation(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    out[0] = p[0] * counts[0] * (counts[0] - 1.0) / 2.0
    out[1] = p[1] * counts[1]


DIMERISATION_LAW: Native[RateLaw] = Native(_dimerisation, RATE_LAW)


def _bind_dimerisation(
    values: Mapping[str, float], switches: Mapping[str, bool]
) -> CompiledKinetics:
    del switches
    parameters = np.array([values["k1"], values["k2"]])
    return CompiledKinetics(DIMERISATION_LAW, NO_LEVELS, parameters, 2, 0)


DIMERISATION = Network(
    name="dsmts_dimerisation", title="dimerisation", citation="DSMTS 003", splitting="",
    species=(_species("P"), _species("P2")), levels=(),
    parameters=(_parameter("k1", "dimerisation"), _parameter("k2", "dissociation")),
    channels=(
        Channel(name="dimerise", change=FrozenMap({"P": -2, "P2": 1}), description="2P → P2",
                order=2),
        Channel(name="dissociate", change=FrozenMap({"P": 2, "P2": -1}), description="P2 → 2P"),
    ),
    tumour=(), bind=_bind_dimerisation,
)  # fmt: skip


def dimerisation_moments(k1: float, k2: float, p0: int) -> Moments:
    """Mean and variance of P from the chemical master equation, solved numerically.

    With P + 2·P2 = p0 conserved, the state is the dimer count j = 0..p0/2; the master
    equation dp/dt = Qᵀp is integrated exactly (``expm_multiply``) at every sample time.
    """
    dimers = np.arange(p0 // 2 + 1)
    free = p0 - 2 * dimers
    up = k1 * free * (free - 1) / 2.0  # j → j + 1
    down = k2 * dimers  # j → j − 1
    size = dimers.size
    rows = np.concatenate([dimers[:-1], dimers[1:], dimers])
    cols = np.concatenate([dimers[1:], dimers[:-1], dimers])
    values = np.concatenate([up[:-1], down[1:], -(up * (dimers < size - 1) + down)])
    generator = csr_matrix((values, (rows, cols)), shape=(size, size))
    start = np.zeros(size)
    start[0] = 1.0
    laws = expm_multiply(generator.T, start, start=0.0, stop=HORIZON, num=TIMES.size)
    mean = laws @ free
    return mean, laws @ (free * free) - mean * mean


# -- birth–death, with and without a timed reset --------------------------------------------


def birth_death_moments(
    birth: float, death: float, x0: float, times: FloatArray = TIMES
) -> Moments:
    """Kendall (1948): mean x0·e^{rt}; variance x0·(λ+μ)/r·e^{rt}(e^{rt}−1), or 2λ·x0·t
    when r = λ − μ = 0."""
    r = birth - death
    growth = np.exp(r * times)
    if r == 0.0:
        return x0 * growth, 2.0 * birth * x0 * times
    return x0 * growth, x0 * (birth + death) / r * growth * (growth - 1.0)


def birth_death_kurtosis(birth: float, death: float, x0: float, times: FloatArray) -> FloatArray:
    """The exact law's excess kurtosis γ₂ at ``times`` (t > 0).

    One ancestor leaves 0 cells with probability a and otherwise a geometric number
    P(k) = (1 − a)(1 − b)·b^(k−1) (Kendall 1948); x0 ancestors are independent, so the
    cumulants add: γ₂ = κ₄/(x0·κ₂²) with κ₂, κ₄ of one ancestor's law.
    """
    growth = np.exp((birth - death) * times)
    if birth == death:
        a = b = birth * times / (1.0 + birth * times)
    else:
        a = death * (growth - 1.0) / (birth * growth - death)
        b = birth * (growth - 1.0) / (birth * growth - death)
    out = np.empty(times.size)
    for i, (extinct, ratio) in enumerate(zip(a, b, strict=True)):
        top = int(min(math.ceil(math.log(1e-18) / math.log(ratio)), 10**7)) + 1
        k = np.arange(1.0, top)
        law = (1.0 - extinct) * (1.0 - ratio) * ratio ** (k - 1.0)
        mean = float(law @ k)
        m2 = float(law @ (k - mean) ** 2) + extinct * mean**2
        m4 = float(law @ (k - mean) ** 4) + extinct * mean**4
        out[i] = (m4 - 3.0 * m2 * m2) / (x0 * m2 * m2)
    return out


RESET_DAY = 25.0


def _give_reset(administered: Administered, ctx: TherapyContext) -> None:
    for day in administered.at_days:
        ctx.at(day, lambda: ctx.add_count("T", administered.dose - ctx.count("T"), "reset"))


RESET = TherapySpec(
    name="reset", description="set T to the dose (a DSMTS timed event)", dose_unit="cells",
    dose_upper=1e6, parameters=(), give=_give_reset,
)  # fmt: skip

BIRTH_DEATH_RESET = dataclasses.replace(
    birth_death.NETWORK, name="dsmts_birth_death_reset", therapies=(RESET,)
)


def reset_moments(birth: float, death: float, x0: float, level: float) -> Moments:
    """Birth–death from x0 until :data:`RESET_DAY`, then from ``level`` afresh."""
    before = TIMES < RESET_DAY
    mean, var = birth_death_moments(birth, death, x0)
    after_mean, after_var = birth_death_moments(birth, death, level, TIMES - RESET_DAY)
    return np.where(before, mean, after_mean), np.where(before, var, after_var)


# -- running a case --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Case:
    """One DSMTS-style model: what to run, which species to judge, its exact law.

    ``heavy_tailed`` marks a law whose kurtosis is far from normal: its variance is then
    standardised with the sample's own fourth moment (see :func:`variance_scores`).
    """

    name: str
    network: Network
    parameters: Mapping[str, float]
    initial: Mapping[str, float]
    species: str
    moments: Callable[[], Moments]
    therapies: tuple[engine.Therapy, ...] = ()
    heavy_tailed: bool = False

    def scenario(self, seed: int, replicates: int) -> engine.Scenario:
        """The scenario of this case (built directly: its network is not a preset)."""
        return engine.Scenario(
            preset=self.network.name, parameters=FrozenMap(dict(self.parameters)),
            initial=FrozenMap(dict(self.initial)), therapies=self.therapies,
            horizon_days=HORIZON, interval_days=1.0, seed=seed, replicates=replicates,
            escape_threshold=1e15,
        )  # fmt: skip


def simulation_samples(
    scenario: engine.Scenario, network: Network | None, species: tuple[str, ...],
    first: int, last: int, settings: engine.KernelSettings | None,
) -> FloatArray:  # fmt: skip
    """Replicates ``first``..``last − 1`` simulated in this process, shape (replicates,
    samples, species)."""
    out = np.empty((last - first, len(scenario.sample_times()), len(species)))
    for row, k in enumerate(range(first, last)):
        result = engine.Simulation(scenario, k, settings=settings, network=network).run()
        for i, name in enumerate(species):
            out[row, :, i] = result.trajectory[name]
    return out


def run_replicates(
    scenario: engine.Scenario, species: tuple[str, ...], *,
    settings: engine.KernelSettings | None = None, network: Network | None = None,
    workers: int = 2,
) -> FloatArray:  # fmt: skip
    """Every replicate of ``scenario``: ``species`` at its sample times, shape
    (replicates, samples, species), run over ``workers`` processes.

    Replicate k draws from its own named streams, so the split over processes does not
    change a single number.
    """
    simulation_samples(scenario, network, species, 0, 1, settings)  # compiled code, loaded once
    bounds = np.linspace(0, scenario.replicates, workers + 1).astype(int).tolist()
    with ProcessPoolExecutor(workers) as pool:
        chunks = [
            pool.submit(simulation_samples, scenario, network, species, a, b, settings)
            for a, b in itertools.pairwise(bounds)
        ]
        return np.concatenate([c.result() for c in chunks])


def run_case(
    case: Case, seed: int, replicates: int, settings: engine.KernelSettings | None = None
) -> FloatArray:
    """``replicates`` trajectories of the case's species at :data:`TIMES`, (replicates, 51)."""
    scenario = case.scenario(seed, replicates)
    if kernel_alone(scenario, case.network):  # bitwise the simulation's, ~3x faster
        return run_kernel(scenario, case.network, case.species, settings)
    return run_replicates(scenario, (case.species,), settings=settings, network=case.network)[
        :, :, 0
    ]


# -- the criteria ----------------------------------------------------------------------------


def mean_scores(samples: FloatArray, mean: FloatArray, var: FloatArray) -> FloatArray:
    """DSMTS's Z per sample time (where the exact variance is positive)."""
    n = samples.shape[0]
    return math.sqrt(n) * (samples.mean(axis=0) - mean) / np.sqrt(var)


def variance_scores(samples: FloatArray, var: FloatArray, *, fourth_moment: bool) -> FloatArray:
    """DSMTS's Y per sample time, normal theory or standardised by the fourth moment.

    Normal theory: ``Y = sqrt(n/2)·(S²/σ² − 1)``, which assumes Var S² = 2σ⁴/n (kurtosis
    3). With ``fourth_moment``, Var S² is estimated from the sample itself,
    ``(m₄ − S⁴·(n−3)/(n−1))/n`` (m₄ the sample's fourth central moment), which holds for
    any law with finite eighth moment: the right yardstick for heavy-tailed laws.
    """
    n = samples.shape[0]
    s2 = samples.var(axis=0, ddof=1)
    if not fourth_moment:
        return math.sqrt(n / 2.0) * (s2 / var - 1.0)
    m4 = ((samples - samples.mean(axis=0)) ** 4).mean(axis=0)
    return (s2 - var) / np.sqrt((m4 - s2 * s2 * (n - 3) / (n - 1)) / n)


@dataclass(frozen=True)
class Scores:
    """The worst |Z| and |Y| of a case and the sample times that fail."""

    z: FloatArray
    y: FloatArray
    deterministic_ok: bool

    @property
    def worst_z(self) -> float:
        return float(np.nanmax(np.abs(self.z)))

    @property
    def worst_y(self) -> float:
        return float(np.nanmax(np.abs(self.y)))

    def failures(self, z_limit: float, y_limit: float) -> list[str]:
        """``t=..: Z=..`` for every sample outside the limits."""
        bad = [f"t={t:g}: Z={z:+.2f}" for t, z in zip(TIMES, self.z, strict=True)
               if abs(z) >= z_limit]  # fmt: skip
        bad += [f"t={t:g}: Y={y:+.2f}" for t, y in zip(TIMES, self.y, strict=True)
                if abs(y) >= y_limit]  # fmt: skip
        return bad if self.deterministic_ok else [*bad, "a sample of zero variance varies"]


def score(case: Case, samples: FloatArray) -> Scores:
    """Z and Y at every sample time; where the exact variance is zero (t = 0, the reset)
    every replicate must equal the exact mean instead (NaN scores there)."""
    mean, var = case.moments()
    random = var > 0
    z = np.full(TIMES.size, np.nan)
    y = np.full(TIMES.size, np.nan)
    z[random] = mean_scores(samples[:, random], mean[random], var[random])
    y[random] = variance_scores(samples[:, random], var[random], fourth_moment=case.heavy_tailed)
    deterministic_ok = bool(np.all(samples[:, ~random] == mean[~random]))
    return Scores(z=z, y=y, deterministic_ok=deterministic_ok)


# -- the cases -------------------------------------------------------------------------------

#: Above this excess kurtosis the normal-theory Y is no yardstick (see tests/test_dsmts.py).
HEAVY_TAIL = 2.0


def birth_death_case(name: str, birth: float, death: float, x0: int) -> Case:
    """A birth–death case of the ``birth_death`` preset, heavy-tailed where its exact law is."""
    kurtosis = birth_death_kurtosis(birth, death, x0, TIMES[1:])
    return Case(
        name=name, network=birth_death.NETWORK, parameters={"birth": birth, "death": death},
        initial={"T": x0}, species="T",
        moments=partial(birth_death_moments, birth, death, x0),
        heavy_tailed=bool(kurtosis.max() > HEAVY_TAIL),
    )  # fmt: skip


def immigration_case(name: str, alpha: float, mu: float, batch: int, x0: int = 0) -> Case:
    """An immigration–death case, ``batch`` items per immigration event."""
    return Case(
        name=name, network=immigration_death(batch), parameters={"alpha": alpha, "mu": mu},
        initial={"X": x0}, species="X",
        moments=partial(immigration_death_moments, alpha, mu, batch, x0),
    )  # fmt: skip


def dimerisation_case(name: str, k1: float, k2: float, p0: int) -> Case:
    """A dimerisation case judged on the monomer P."""
    return Case(
        name=name, network=DIMERISATION, parameters={"k1": k1, "k2": k2},
        initial={"P": p0, "P2": 0}, species="P", moments=partial(dimerisation_moments, k1, k2, p0),
    )  # fmt: skip


def reset_case(name: str, birth: float, death: float, x0: int, level: int) -> Case:
    """Birth–death with T set to ``level`` at :data:`RESET_DAY` (a timed event)."""
    return Case(
        name=name, network=BIRTH_DEATH_RESET, parameters={"birth": birth, "death": death},
        initial={"T": x0}, species="T",
        therapies=(engine.Therapy(kind="reset", at_days=(RESET_DAY,), dose=float(level)),),
        moments=partial(reset_moments, birth, death, x0, level),
    )  # fmt: skip


#: The models, named after the DSMTS model they follow (``~`` where ours differs).
CASES = (
    birth_death_case("001-01 birth-death 0.1/0.11 from 100", 0.1, 0.11, 100),
    birth_death_case("001-03 birth-death 1.0/1.1 from 100", 1.0, 1.1, 100),
    birth_death_case("001-04 birth-death 0.1/0.11 from 10", 0.1, 0.11, 10),
    birth_death_case("001-05 birth-death 0.1/0.11 from 10000", 0.1, 0.11, 10_000),
    birth_death_case("~001 birth-death 0.2/0.1 from 1000", 0.2, 0.1, 1000),
    birth_death_case("~001 birth-death 1.0/1.0 from 1000", 1.0, 1.0, 1000),
    immigration_case("002-01 immigration-death 1/0.1", 1.0, 0.1, 1),
    immigration_case("002-02 immigration-death 10/0.1", 10.0, 0.1, 1),
    immigration_case("~002 immigration-death 1000/0.1", 1000.0, 0.1, 1),
    immigration_case("004-01 batch immigration 5 at 1/0.1", 1.0, 0.1, 5),
    immigration_case("004-03 batch immigration 100 at 1/0.1", 1.0, 0.1, 100),
    dimerisation_case("003-01 dimerisation 0.001/0.01 from 100", 0.001, 0.01, 100),
    dimerisation_case("003-02 dimerisation 0.0002/0.004 from 1000", 0.0002, 0.004, 1000),
    reset_case("~001 birth-death 0.1/0.11 from 100, reset to 50 at 25", 0.1, 0.11, 100, 50),
)


def two_sample_scores(ours: FloatArray, exact: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Z and Y of ``ours`` against samples of an exact simulator, per column.

    ``Z = (X̄₁ − X̄₂)/sqrt(S₁²/n₁ + S₂²/n₂)``; ``Y = (S₁² − S₂²)/sqrt(V₁ + V₂)`` with each
    Var S² from its sample's fourth moment (as :func:`variance_scores`), so neither
    assumes a normal law.
    """

    def spread(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        n = x.shape[0]
        s2 = x.var(axis=0, ddof=1)
        m4 = ((x - x.mean(axis=0)) ** 4).mean(axis=0)
        return s2, (m4 - s2 * s2 * (n - 3) / (n - 1)) / n

    s1, v1 = spread(ours)
    s2, v2 = spread(exact)
    z = (ours.mean(axis=0) - exact.mean(axis=0)) / np.sqrt(s1 / ours.shape[0] + s2 / exact.shape[0])
    return z, (s1 - s2) / np.sqrt(v1 + v2)
