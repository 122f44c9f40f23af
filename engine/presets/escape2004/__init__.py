"""escape2004: how a tumour escapes the immune system, and immunotherapy against it.

The mechanisms of Ahmad, Rees & Ali 2004 (Cancer Immunol Immunother 53:844) as a
stochastic reaction network: a tumour of up to 32 clones (escape-trait combinations, see
:mod:`.clones`) against dendritic cells, naive and effector CD8 T cells, exhausted T
cells, NK cells and regulatory T cells, with IL-2, TGF-β / IL-10 and IFN-γ as
concentrations and one exposure per drug. Each mechanism is its own module under
``mechanisms/`` (switchable from the scenario's ``mechanisms`` map); each therapy is its
own module under ``therapies/``. Documentation with the full parameter table:
``docs/escape2004.md``.
"""

from __future__ import annotations

from escapesim.engine.network import Network, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.engine.presets.escape2004.kinetics import CHANNELS, MODULES, bind
from escapesim.engine.presets.escape2004.mechanisms import (
    counterattack,
    cytotoxicity,
    dysfunction,
    help,
    presentation,
    priming,
    regulation,
    suppression,
    variants,
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

#: The founder tumour by default: 1e4 cells with no escape trait.
_DEFAULT_TUMOUR = 1e4

_IMMUNE = (
    Species(name="DC_loaded", unit="cells", initial=0.0,
            description="antigen-loaded, maturing dendritic cells in tissue"),
    Species(name="DC_node", unit="cells", initial=0.0,
            description="mature DCs presenting tumour antigen in the lymph node"),
    Species(name="naive", unit="cells", initial=1000.0,
            description="naive CD8 T cells specific for the tumour antigen"),
    Species(name="CTL", unit="cells", initial=0.0,
            description="effector CD8 T cells (CTLs) at the tumour"),
    Species(name="exhausted", unit="cells", initial=0.0,
            description="exhausted CD8 T cells at the tumour"),
    Species(name="NK", unit="cells", initial=2e4, description="NK cells at the tumour"),
    Species(name="Treg", unit="cells", initial=100.0, description="regulatory T cells"),
)  # fmt: skip

_LEVELS = (
    Species(name="IL2", unit="IL-2 units", initial=0.0, description="endogenous IL-2"),
    Species(name="TGFb", unit="TGF units", initial=0.0,
            description="TGF-β / IL-10 (pooled suppressive cytokines)"),
    Species(name="IFNg", unit="IFN-γ units", initial=0.0, description="IFN-γ"),
    Species(name="anti_PD1", unit="mg/kg", initial=0.0, description="anti-PD-1 exposure"),
    Species(name="anti_TGFb", unit="mg/kg", initial=0.0, description="anti-TGF-β exposure"),
    Species(name="anti_CD25", unit="mg/kg", initial=0.0, description="anti-CD25 exposure"),
    Species(name="chemo", unit="mg/kg", initial=0.0, description="chemotherapy exposure"),
    Species(name="peptide", unit="µg", initial=0.0, description="peptide vaccine exposure"),
    Species(name="rIL2", unit="IL-2 units", initial=0.0,
            description="recombinant IL-2 exposure"),
)  # fmt: skip

_CLONE_SPECIES = tuple(
    Species(name=c.name, unit="cells", initial=_DEFAULT_TUMOUR if not c.traits else 0.0,
            description=f"tumour clone: {c.describe()}")
    for c in CLONES
)  # fmt: skip

assert tuple(s.name for s in (*_CLONE_SPECIES, *_IMMUNE)) == layout.SPECIES_NAMES
assert tuple(s.name for s in _LEVELS) == layout.LEVEL_NAMES

NETWORK = Network(
    name="escape2004",
    title="Tumour escape: presentation, cytotoxic encounters, counter-signals, immunotherapy",
    citation="Ahmad M, Rees RC, Ali SA. Cancer Immunol Immunother 53:844-854 (2004)",
    splitting="\n\n".join(m.__doc__ or "" for m in MODULES),
    species=(*_CLONE_SPECIES, *_IMMUNE),
    levels=_LEVELS,
    parameters=tuple(p for m in MODULES for p in m.PARAMETERS),
    channels=CHANNELS,
    tumour=tuple(c.name for c in CLONES),
    bind=bind,
    mechanisms=tuple(
        m.MECHANISM
        for m in (
            presentation,
            priming,
            cytotoxicity,
            help,
            suppression,
            counterattack,
            variants,
            dysfunction,
            regulation,
        )
    ),
    therapies=(
        vaccine.DC_VACCINE,
        vaccine.PEPTIDE_VACCINE,
        adoptive_transfer.THERAPY,
        il2.THERAPY,
        anti_pd1.THERAPY,
        anti_tgfb.THERAPY,
        anti_cd25.THERAPY,
        chemotherapy.THERAPY,
    ),
)
