"""The preset's rate laws: every mechanism and therapy part, bound and concatenated.

Channel order is module order (:data:`MODULES`); each part fills its own slice. Antigen
presentation is evaluated last because it loads antigen from the summed propensity of
every channel that kills an antigen-bearing tumour cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType

import numpy as np

from engine.network import Channel, FloatArray, MechanismSpec
from engine.presets.escape2004 import layout
from engine.presets.escape2004.clones import CLONES, Trait
from engine.presets.escape2004.mechanisms import (
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
from engine.presets.escape2004.parts import Part, Silent
from engine.presets.escape2004.state import State
from engine.presets.escape2004.therapies import (
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


def _slices() -> dict[str, slice]:
    where, start = {}, 0
    for module in MODULES:
        where[module.__name__] = slice(start, start + len(module.CHANNELS))
        start += len(module.CHANNELS)
    return where


def _release_channels(channels: Sequence[Channel]) -> FloatArray:
    """Per channel: 1 if its firing kills an antigen-bearing tumour cell, else 0."""
    return np.array(
        [any(n in _ANTIGEN_BEARING and v < 0 for n, v in c.change.items()) for c in channels],
        dtype=np.float64,
    )


SLICES = _slices()
RELEASE = _release_channels(CHANNELS)


def _switch(switches: Mapping[str, bool], mechanism: MechanismSpec) -> bool:
    return bool(switches.get(mechanism.name, mechanism.enabled))


class Rates:
    """The escape2004 rate laws with parameter values and mechanism switches bound."""

    def __init__(self, values: Mapping[str, float], switches: Mapping[str, bool]) -> None:
        def on(module: ModuleType) -> bool:
            return _switch(switches, module.MECHANISM)

        mutation = variants.Variants(values, on(variants))
        self.suppression = suppression.Suppression(values, on(suppression))
        self.regulation = regulation.Regulation(values, on(regulation))
        self.anti_pd1 = anti_pd1.AntiPD1(values)
        self.anti_tgfb = anti_tgfb.AntiTGFb(values)
        self.costimulation = dysfunction.costimulation(values, on(dysfunction))
        self.half_saturation = float(values["encounter_half_saturation"])
        self._last_key = b""
        self._last_state = self._observe(
            np.zeros(len(layout.SPECIES_NAMES)), np.zeros(len(layout.LEVEL_NAMES))
        )
        parts: dict[ModuleType, Part] = {
            growth: growth.Growth(values, variants.fitness(values), mutation.mutating),
            variants: mutation,
            cytotoxicity: cytotoxicity.Cytotoxicity(values, on(cytotoxicity)),
            dysfunction: dysfunction.Dysfunction(values, on(dysfunction)),
            counterattack: counterattack.Counterattack(values, on(counterattack)),
            priming: priming.Priming(values, on(priming), self.costimulation),
            help: help.Help(values, on(help)),
            regulation: self.regulation,
            suppression: self.suppression,
            turnover: turnover.Turnover(values),
            anti_pd1: self.anti_pd1,
            anti_tgfb: self.anti_tgfb,
            anti_cd25: anti_cd25.AntiCD25(values),
            chemotherapy: chemotherapy.Chemotherapy(values),
            il2: il2.IL2Therapy(values),
            vaccine: vaccine.PeptideVaccine(values),
        }
        # One persistent buffer; every part writes into its own view of it.
        self._out = np.zeros(len(CHANNELS))
        self._fills = [
            (p.fill, self._out[SLICES[m.__name__]]) for m, p in parts.items() if m.CHANNELS
        ]
        # Only parts that own a concentration take part in level_rates (the hot loop).
        self._levels = [p.levels for p in parts.values() if not isinstance(p, Silent)]
        self._present = presentation.Presentation(values, on(presentation)).fill
        self._present_out = self._out[SLICES[presentation.__name__]]

    def _state(self, counts: FloatArray, levels: FloatArray) -> State:
        # The kernel asks for propensities and then level rates of the same state: reuse it.
        key = counts.tobytes() + levels.tobytes()
        if key == self._last_key:
            return self._last_state
        state = self._observe(counts.copy(), levels.copy())
        self._last_key, self._last_state = key, state
        return state

    def _observe(self, counts: FloatArray, levels: FloatArray) -> State:
        state = State(counts, levels, self.half_saturation)
        blocked = self.anti_tgfb.occupancy(state.anti_tgfb)
        state.tgf_brake = self.suppression.brake(state.tgfb, blocked)
        state.treg_brake = self.regulation.brake(state.treg)
        state.pd1_open = self.anti_pd1.open_share(state.anti_pd1)
        state.costimulation = self.costimulation
        return state

    def propensities(self, counts: FloatArray, levels: FloatArray) -> FloatArray:
        """Propensity of every channel, in :data:`CHANNELS` order (a fresh array)."""
        state = self._state(counts, levels)
        for fill, out in self._fills:
            fill(state, out)
        state.release = float(self._out @ RELEASE)
        self._present(state, self._present_out)
        return self._out.copy()  # the kernel keeps earlier propensities: never alias

    def level_rates(self, counts: FloatArray, levels: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Production per day and first-order decay of every concentration."""
        state = self._state(counts, levels)
        production = np.zeros(len(layout.LEVEL_NAMES))
        decay = np.zeros(len(layout.LEVEL_NAMES))
        for add in self._levels:
            add(state, production, decay)
        return production, decay
