"""escape2004: how a tumour escapes the immune system, and immunotherapy against it.

The mechanisms of Ahmad, Rees & Ali 2004 (Cancer Immunol Immunother 53:844) as a
stochastic reaction network: a tumour of up to 32 clones (escape-trait combinations, see
:mod:`.clones`) against dendritic cells, naive and effector CD8 T cells, exhausted T
cells, NK cells and regulatory T cells, with IL-2, TGF-β / IL-10 and IFN-γ as
concentrations and one exposure per drug. Each mechanism is one part, a module under
``mechanisms/`` (switchable from the scenario's ``mechanisms`` map); each therapy is one
part under ``therapies/``; :data:`.parts.PARTS` lists them in order, and everything below
is assembled from that list. Documentation with the full parameter table:
``docs/escape2004.md``.
"""

from __future__ import annotations

from escapesim.engine.network import Network
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.engine.presets.escape2004.kinetics import CHANNELS, bind
from escapesim.engine.presets.escape2004.parts import PARTS
from escapesim.engine.presets.escape2004.profiles import PROFILES

# Parts declare what they own; the state vectors keep the order of layout.py.
_SPECIES = sorted(
    (s for p in PARTS for s in p.species), key=lambda s: layout.SPECIES_NAMES.index(s.name)
)
_LEVELS = sorted(
    (s for p in PARTS for s in p.levels), key=lambda s: layout.LEVEL_NAMES.index(s.name)
)
assert tuple(s.name for s in _SPECIES) == layout.SPECIES_NAMES, "one owner per population"
assert tuple(s.name for s in _LEVELS) == layout.LEVEL_NAMES, "one owner per concentration"

NETWORK = Network(
    name="escape2004",
    title="Tumour escape: presentation, cytotoxic encounters, counter-signals, immunotherapy",
    citation="Ahmad M, Rees RC, Ali SA. Cancer Immunol Immunother 53:844-854 (2004)",
    splitting="\n\n".join(p.description for p in PARTS),
    species=tuple(_SPECIES),
    levels=tuple(_LEVELS),
    parameters=tuple(q for p in PARTS for q in p.parameters),
    channels=CHANNELS,
    tumour=tuple(c.name for c in CLONES),
    bind=bind,
    mechanisms=tuple(p.mechanism for p in PARTS if p.mechanism is not None),
    therapies=tuple(p.therapy for p in PARTS if p.therapy is not None),
    profiles=PROFILES,
)
