"""The parts of escape2004, in order: the one list a new mechanism or therapy joins.

The order is the order of the channels (and so of the propensity vector and the event
counters) and of the parameter vector. A part's module declares everything it does
(:class:`.part.Part`); :mod:`.kinetics` assembles the rate laws and the preset's network
(:mod:`escapesim.engine.presets.escape2004`) everything else from this list.
"""

from __future__ import annotations

from escapesim.engine.presets.escape2004.mechanisms import (
    adaptive_resistance,
    cd4_help,
    counterattack,
    cytotoxicity,
    dysfunction,
    epitopes,
    gompertz,
    growth,
    il2_help,
    nk_recruitment,
    presentation,
    priming,
    regulation,
    spreading,
    suppression,
    turnover,
    variants,
)
from escapesim.engine.presets.escape2004.part import Part
from escapesim.engine.presets.escape2004.therapies import (
    adoptive_transfer,
    anti_cd25,
    anti_pd1,
    anti_tgfb,
    chemotherapy,
    dc_vaccine,
    il2,
    peptide_vaccine,
)

PARTS: tuple[Part, ...] = (
    growth.PART,
    gompertz.PART,
    variants.PART,
    cytotoxicity.PART,
    dysfunction.PART,
    counterattack.PART,
    presentation.PART,
    priming.PART,
    il2_help.PART,
    cd4_help.PART,
    regulation.PART,
    suppression.PART,
    turnover.PART,
    nk_recruitment.PART,
    adaptive_resistance.PART,
    epitopes.PART,
    spreading.PART,
    anti_pd1.PART,
    anti_tgfb.PART,
    anti_cd25.PART,
    chemotherapy.PART,
    il2.PART,
    peptide_vaccine.PART,
    dc_vaccine.PART,
    adoptive_transfer.PART,
)

assert len({p.name for p in PARTS}) == len(PARTS), "part names are their stream keys"
