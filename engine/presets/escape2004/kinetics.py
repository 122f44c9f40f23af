"""The preset's rate laws: every mechanism and therapy part, bound and concatenated.

Channel order is module order (:data:`MODULES`); each part fills its own slice of the
propensities and reads its own block of the parameter vector. Antigen presentation is
evaluated last because it loads antigen from the summed propensity of every channel
that kills an antigen-bearing tumour cell. The two rate laws are compiled (see
:mod:`escapesim.engine.compiled`), so the calls below are spelled out part by part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType

import numpy as np
import numpy.typing as npt

from escapesim.engine.compiled import (
    LEVEL_LAW,
    RATE_LAW,
    CompiledKinetics,
    LevelLaw,
    Native,
    RateLaw,
    jit,
)
from escapesim.engine.network import Channel, FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import CLONES, Trait
from escapesim.engine.presets.escape2004.mechanisms import (
    counterattack,
    cytotoxicity,
    dysfunction,
    growth,
    help,
    presentation,
    priming,
    regulation,
    suppression,
    turnover,
    variants,
)
from escapesim.engine.presets.escape2004.parts import block
from escapesim.engine.presets.escape2004.state import (
    COSTIMULATION,
    PD1_OPEN,
    RELEASE,
    SIGNALS,
    TGF_BRAKE,
    TREG_BRAKE,
    clone_sums,
)
from escapesim.engine.presets.escape2004.therapies import (
    adoptive_transfer,
    anti_cd25,
    anti_pd1,
    anti_tgfb,
    chemotherapy,
    il2,
    vaccine,
)

#: Modules in channel order. Each has PARAMETERS and CHANNELS.
MODULES: tuple[ModuleType, ...] = (
    growth, variants, cytotoxicity, dysfunction, counterattack, presentation, priming,
    help, regulation, suppression, turnover,
    anti_pd1, anti_tgfb, anti_cd25, chemotherapy, il2, vaccine, adoptive_transfer,
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = tuple(c for m in MODULES for c in m.CHANNELS)

_ANTIGEN_BEARING = {c.name for c in CLONES if not c.has(Trait.ANTIGEN_LOSS)}


def _release_channels(channels: Sequence[Channel]) -> npt.NDArray[np.int64]:
    """The channels whose firing kills an antigen-bearing tumour cell."""
    return np.array(
        [j for j, c in enumerate(channels)
         if any(n in _ANTIGEN_BEARING and v < 0 for n, v in c.change.items())],
        dtype=np.int64,
    )  # fmt: skip


_RELEASING = _release_channels(CHANNELS)


def _switch(switches: Mapping[str, bool], mechanism: MechanismSpec) -> bool:
    return bool(switches.get(mechanism.name, mechanism.enabled))


def _blocks(values: Mapping[str, float], switches: Mapping[str, bool]) -> dict[str, FloatArray]:
    """Every part's parameter block, by part, in parameter-vector order."""

    def on(module: ModuleType) -> bool:
        return _switch(switches, module.MECHANISM)

    costimulation = dysfunction.costimulation(values, on(dysfunction))
    mutating = variants.mutating(values, on(variants))
    return {
        "shared": block(values["encounter_half_saturation"], costimulation),
        "growth": growth.bind(values, variants.fitness(values), mutating),
        "variants": variants.bind(values, on(variants)),
        "cytotoxicity": cytotoxicity.bind(values, on(cytotoxicity)),
        "dysfunction": dysfunction.bind(values, on(dysfunction)),
        "counterattack": counterattack.bind(values, on(counterattack)),
        "presentation": presentation.bind(values, on(presentation)),
        "priming": priming.bind(values, on(priming), costimulation),
        "help": help.bind(values, on(help)),
        "regulation": regulation.bind(values, on(regulation)),
        "suppression": suppression.bind(values, on(suppression)),
        "turnover": turnover.bind(values),
        "anti_pd1": anti_pd1.bind(values),
        "anti_tgfb": anti_tgfb.bind(values),
        "anti_cd25": anti_cd25.bind(values),
        "chemotherapy": chemotherapy.bind(values),
        "il2": il2.bind(values),
        "vaccine": vaccine.bind(values),
    }


def _spans(sizes: Sequence[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    """(start, stop) of consecutive spans of the given sizes."""
    spans, start = {}, 0
    for name, size in sizes:
        spans[name] = (start, start + size)
        start += size
    return spans


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The escape2004 rate laws with parameter values and mechanism switches bound."""
    blocks = _blocks(values, switches)
    assert [(k, v.size) for k, v in blocks.items()] == _BLOCK_SIZES, "block layout changed"
    parameters = np.concatenate(list(blocks.values()))
    return CompiledKinetics(PROPENSITIES, LEVEL_RATES, parameters, len(CHANNELS), _LEVELS)


_DEFAULTS = {p.name: p.default for m in MODULES for p in m.PARAMETERS}
_BLOCK_SIZES = [(k, v.size) for k, v in _blocks(_DEFAULTS, {}).items()]
_LEVELS = len(layout.LEVEL_NAMES)

# Spans of the parameter vector (P_) and of the propensities (C_), as compile-time
# constants of the two compiled rate laws.
_P = _spans(_BLOCK_SIZES)
assert list(_P) == [
    "shared",
    *(m.__name__.rsplit(".", 1)[-1] for m in MODULES if m is not adoptive_transfer),
]
_C = _spans([(m.__name__.rsplit(".", 1)[-1], len(m.CHANNELS)) for m in MODULES])
(P_SHARED, P_GROWTH, P_VARIANTS, P_CYTOTOXICITY, P_DYSFUNCTION, P_COUNTERATTACK,
 P_PRESENTATION, P_PRIMING, P_HELP, P_REGULATION, P_SUPPRESSION, P_TURNOVER, P_ANTI_PD1,
 P_ANTI_TGFB, P_ANTI_CD25, P_CHEMOTHERAPY, P_IL2, P_VACCINE) = _P.values()  # fmt: skip
(C_GROWTH, C_VARIANTS, C_CYTOTOXICITY, C_DYSFUNCTION, C_COUNTERATTACK, C_PRESENTATION,
 C_PRIMING, C_HELP, C_REGULATION, C_SUPPRESSION, C_TURNOVER, C_ANTI_PD1, C_ANTI_TGFB,
 C_ANTI_CD25, C_CHEMOTHERAPY, C_IL2, C_VACCINE, C_ADOPTIVE_TRANSFER) = _C.values()  # fmt: skip


@jit
def _span(values: FloatArray, span: tuple[int, int]) -> FloatArray:
    """The view of ``values`` a part owns."""
    return values[span[0] : span[1]]


@jit
def _observe(counts: FloatArray, levels: FloatArray, p: FloatArray) -> FloatArray:
    """The shared signals of this state (see :mod:`.state`)."""
    s = np.zeros(SIGNALS)
    clone_sums(counts, p[P_SHARED[0]], s)
    blocked = anti_tgfb.blocked(levels, _span(p, P_ANTI_TGFB))
    s[TGF_BRAKE] = suppression.brake(levels, _span(p, P_SUPPRESSION), blocked)
    s[TREG_BRAKE] = regulation.brake(counts, _span(p, P_REGULATION))
    s[PD1_OPEN] = anti_pd1.open_share(levels, _span(p, P_ANTI_PD1))
    s[COSTIMULATION] = p[P_SHARED[0] + 1]
    return s


def _propensities(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    s = _observe(counts, levels, p)
    growth.fill(counts, levels, s, _span(p, P_GROWTH), _span(out, C_GROWTH))
    variants.fill(counts, levels, s, _span(p, P_VARIANTS), _span(out, C_VARIANTS))
    cytotoxicity.fill(
        counts, levels, s, _span(p, P_CYTOTOXICITY),
        _span(out, C_CYTOTOXICITY),
    )  # fmt: skip
    dysfunction.fill(
        counts, levels, s, _span(p, P_DYSFUNCTION),
        _span(out, C_DYSFUNCTION),
    )  # fmt: skip
    counterattack.fill(
        counts, levels, s, _span(p, P_COUNTERATTACK),
        _span(out, C_COUNTERATTACK),
    )  # fmt: skip
    priming.fill(counts, levels, s, _span(p, P_PRIMING), _span(out, C_PRIMING))
    help.fill(counts, levels, s, _span(p, P_HELP), _span(out, C_HELP))
    regulation.fill(
        counts, levels, s, _span(p, P_REGULATION),
        _span(out, C_REGULATION),
    )  # fmt: skip
    turnover.fill(counts, levels, s, _span(p, P_TURNOVER), _span(out, C_TURNOVER))
    anti_pd1.fill(counts, levels, s, _span(p, P_ANTI_PD1), _span(out, C_ANTI_PD1))
    anti_cd25.fill(counts, levels, s, _span(p, P_ANTI_CD25), _span(out, C_ANTI_CD25))
    chemotherapy.fill(
        counts, levels, s, _span(p, P_CHEMOTHERAPY),
        _span(out, C_CHEMOTHERAPY),
    )  # fmt: skip
    vaccine.fill(counts, levels, s, _span(p, P_VACCINE), _span(out, C_VACCINE))
    # Presentation last: it loads antigen released by every kill of an antigen-bearing cell.
    release = 0.0
    for j in _RELEASING:
        release += out[j]
    s[RELEASE] = release
    presentation.fill(
        counts, levels, s, _span(p, P_PRESENTATION),
        _span(out, C_PRESENTATION),
    )  # fmt: skip


def _level_rates(
    counts: FloatArray, levels: FloatArray, p: FloatArray, production: FloatArray,
    decay: FloatArray,
) -> None:  # fmt: skip
    s = _observe(counts, levels, p)
    production[:] = 0.0
    decay[:] = 0.0
    cytotoxicity.levels(counts, levels, s, _span(p, P_CYTOTOXICITY), production, decay)
    help.levels(counts, levels, s, _span(p, P_HELP), production, decay)
    regulation.levels(counts, levels, s, _span(p, P_REGULATION), production, decay)
    suppression.levels(counts, levels, s, _span(p, P_SUPPRESSION), production, decay)
    anti_pd1.levels(counts, levels, s, _span(p, P_ANTI_PD1), production, decay)
    anti_tgfb.levels(counts, levels, s, _span(p, P_ANTI_TGFB), production, decay)
    anti_cd25.levels(counts, levels, s, _span(p, P_ANTI_CD25), production, decay)
    chemotherapy.levels(counts, levels, s, _span(p, P_CHEMOTHERAPY), production, decay)
    il2.levels(counts, levels, s, _span(p, P_IL2), production, decay)
    vaccine.levels(counts, levels, s, _span(p, P_VACCINE), production, decay)


PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)
LEVEL_RATES: Native[LevelLaw] = Native(_level_rates, LEVEL_LAW)
