"""Antigen presentation: DCs load antigen from dying tumour cells, migrate, present, decay.

Antigen release ``R`` is the propensity of every channel that kills an antigen-bearing
tumour cell, weighted by how immunogenic that death is (immunogenic cell death): CTL and
NK kills count 1, chemotherapy kills ``w_C`` (an ICD-inducing drug releases antigen with
danger signals: calreticulin, ATP, HMGB1), basal turnover only ``w_A`` (apoptotic cells
are cleared silently). So killing feeds presentation, and chemotherapy raises priming.
Loading saturates in ``R`` and needs maturation, which TGF-β / IL-10
blocks (the brake β). Loaded DCs leave the tissue at rate ``k_M`` and reach the lymph
node a fixed :data:`MIGRATION_DELAY` later (a SimPy delayed event), where they present
until they die. DCs loaded from antigen-loss cells (with several antigens,
:mod:`.epitopes`: they bear only the subdominant antigens) are a pool of their own
(``DC_node_sub``) that cannot prime the immunodominant epitope; loading saturates in the
whole release and is shared in proportion. That pool is counted from the node only: the
share ``k_M/(k_M + d_L)`` of its loaded DCs that leave rather than die reaches the node
one :data:`MIGRATION_DELAY` after loading (without the ~0.8-day exponential tissue wait
of the main pool: one species and two channels fewer, for the preset's speed budget):

| channel             | propensity                          | change                              |
|---------------------|-------------------------------------|-------------------------------------|
| load                | σ_D·β·R/(R + R_s + K_R)             | DC_loaded + 1                       |
| migrate             | k_M·DC_loaded                       | DC_loaded − 1; DC_node + 1 later    |
| dc_tissue_death     | d_L·DC_loaded                       | DC_loaded − 1                       |
| dc_node_death       | d_N·DC_node                         | DC_node − 1                         |
| load_sub            | k_M/(k_M + d_L)·σ_D·β·R_s/(R + R_s + K_R) | DC_node_sub + 1 later         |
| dc_sub_node_death   | d_N·DC_node_sub                     | DC_node_sub − 1                     |

with ``R = Σ_kill + w_C·Σ_chemo + w_A·Σ_basal`` (deaths of cells with the immunodominant
antigen per day) and ``R_s`` the same for antigen-loss cells (0 with one antigen).

Switched off: no loading from the tumour (peptide-loaded DCs still migrate and present,
DC-vaccine DCs still arrive in the node and present).
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, Delay, FloatArray, MechanismSpec, Role
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    cells,
    channel,
    is_on,
    parameter,
    values_of,
)
from escapesim.engine.presets.escape2004.state import RELEASE, RELEASE_SUB, TGF_BRAKE

MECHANISM = MechanismSpec(
    name="presentation",
    description="DCs load antigen from dying antigen-bearing cells, migrate to the lymph "
    "node (delayed), present and decay",
)

#: Tissue-to-node travel of a loaded DC, days (fixed, so its minimum is real).
#: Within the 1-2 days of docs/design.md; structural (the kernel takes delays from channels).
MIGRATION_DELAY = Delay(mean=1.5)

PARAMETERS = (
    parameter("dc_supply", "cells/day", 5.0,
              "maximal rate at which DCs at the tumour load antigen and mature",
              "chosen so that a handful to tens of DCs present at a time"
              "; would pin it: counts of antigen-loaded, mature DCs at the tumour over time "
              "(intravital imaging or flow of tumour digests)",
              upper=1e9),
    parameter("antigen_half_saturation", "cells/day", 1e3,
              "antigen release (immunogenic deaths of antigen+ cells per day) giving "
              "half-maximal loading",
              "chosen so that loading saturates above ~1e5 tumour cells, which damps the "
              "presentation-priming loop (dormancy instead of growing oscillations), yet "
              "an immunogenic burst (chemotherapy) still raises it"
              "; would pin it: antigen-bearing migratory DCs in the draining node against tumour "
              "size or against a measured kill rate",
              lower=1e-9, upper=1e15),
    parameter("apoptotic_immunogenicity", "1", 0.1,
              "antigen with danger signals given to DCs by a basal (apoptotic) tumour "
              "death, relative to a CTL or NK kill",
              "chosen: apoptotic turnover is tolerogenic or silent (Green et al. 2009 Nat "
              "Rev Immunol); cells killed by non-ICD agents (mitomycin C, etoposide) "
              "vaccinated few mice where anthracycline-killed cells protected most "
              "(Casares et al. 2005 J Exp Med; Obeid et al. 2007 Nat Med); no study "
              "gives the ratio as a number"
              ": DC uptake and priming per dying cell, by mode of death, in vivo would pin "
              "it", upper=1.0),
    parameter("dc_migration_rate", "1/day", 1.0, "rate at which loaded DCs leave the tissue",
              "chosen: most loaded DCs leave within a day or two (docs/design.md)"
              "; would pin it: photoconversion or FITC-painting tracking of DCs leaving the tumour"
              " for the draining node (per-day departure)", upper=100.0),
    parameter("dc_tissue_death", "1/day", 0.2, "death of loaded DCs before they leave",
              "chosen; the share of labelled tumour DCs that reach the node would pin it",
              upper=100.0),
    parameter("dc_node_death", "1/day", 0.35, "death of presenting DCs in the lymph node",
              "Kamath et al. 2002 (Blood 100:1734), BrdU labelling in mice: DCs turn over "
              "rapidly once in lymphoid organs, the CD8+ subtype with a ~3-day lifespan "
              "(1/3 = 0.33/day; 0.35 kept, within it); migratory (skin-derived) DCs' node "
              "residence was not resolved there: tumour-derived DC turnover in the draining "
              "node would pin it", upper=100.0),
)  # fmt: skip

SPECIES = (
    cells("DC_loaded", "antigen-loaded, maturing dendritic cells in tissue",
          label="antigen-loaded DCs (tumour)", role=Role.PRIMING),
    cells("DC_node", "mature DCs presenting tumour antigen in the lymph node",
          label="presenting DCs (lymph node)", role=Role.PRIMING),
    cells("DC_node_sub", "DCs presenting only subdominant antigens in the lymph node",
          label="presenting DCs, subdominant only (lymph node)", role=Role.PRIMING),
)

CHANNELS: tuple[Channel, ...] = (
    channel("load", {"DC_loaded": 1}, "a DC loads antigen from dying tumour cells"),
    channel("migrate", {"DC_loaded": -1}, "a loaded DC leaves for the lymph node",
            delayed={"DC_node": 1}, delay=MIGRATION_DELAY),
    channel("dc_tissue_death", {"DC_loaded": -1}, "a loaded DC dies in the tissue"),
    channel("dc_node_death", {"DC_node": -1}, "a presenting DC dies in the lymph node"),
    channel("load_sub", {}, "a DC loads antigen from dying antigen-loss cells and "
            "reaches the lymph node", delayed={"DC_node_sub": 1}, delay=MIGRATION_DELAY),
    channel("dc_sub_node_death", {"DC_node_sub": -1},
            "a DC presenting subdominant antigens dies in the lymph node"),
)  # fmt: skip


_SUPPLY, _HALF, _MIGRATION, _TISSUE_DEATH, _NODE_DEATH = range(5)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no loading when switched off)."""
    supply, *rest = values_of(
        values, "dc_supply", "antigen_half_saturation", "dc_migration_rate",
        "dc_tissue_death", "dc_node_death")  # fmt: skip
    return block(supply if is_on(switches, MECHANISM) else 0.0, *rest)


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Loading (from the ``RELEASE`` signal), migration and deaths."""
    release = s[RELEASE] + s[RELEASE_SUB]
    # Loading saturates in the whole release; each pool gets its share of it.
    loading = p[_SUPPLY] * s[TGF_BRAKE] / (release + p[_HALF]) if release > 0.0 else 0.0
    loaded = counts[layout.DC_LOADED]
    out[0] = loading * s[RELEASE]
    out[1] = p[_MIGRATION] * loaded
    out[2] = p[_TISSUE_DEATH] * loaded
    out[3] = p[_NODE_DEATH] * counts[layout.DC_NODE]
    # The share of loaded DCs that leave rather than die in the tissue (see the docstring).
    away = p[_MIGRATION] + p[_TISSUE_DEATH]
    leaving = p[_MIGRATION] / away if away > 0.0 else 0.0
    out[4] = leaving * loading * s[RELEASE_SUB]
    out[5] = p[_NODE_DEATH] * counts[layout.DC_NODE_SUB]


PART = Part(
    name="presentation",
    description=str(__doc__),
    parameters=PARAMETERS,
    species=SPECIES,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
    after_release=True,
)
