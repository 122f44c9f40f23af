"""Where every population and concentration sits in the kernel's state vectors.

Populations: the 32 tumour clones (in mask order, see :mod:`.clones`), then the immune
cells (``naive`` and ``CTL`` are specific for the immunodominant epitope; the
subdominant-epitope lineages of :mod:`.mechanisms.epitopes` come last). Concentrations:
the three cytokines, then one exposure per drug therapy, then the
IFN-γ-induced PD-L1 share, then the CD4 helper activity, then the subdominant-epitope
naive pool.
"""

from __future__ import annotations

from escapesim.engine.presets.escape2004.clones import NAMES as CLONE_NAMES

#: Number of tumour clones; clone i is counts[i].
CLONES = len(CLONE_NAMES)

DC_LOADED = CLONES  # antigen-loaded, maturing dendritic cells in tissue
DC_NODE = CLONES + 1  # mature DCs presenting in the draining lymph node
NAIVE = CLONES + 2  # naive tumour-specific CD8 T cells
CTL = CLONES + 3  # effector CD8 T cells at the tumour
EXHAUSTED = CLONES + 4  # exhausted CD8 T cells at the tumour
NK = CLONES + 5  # NK cells at the tumour
TREG = CLONES + 6  # regulatory T cells
CTL_SUB = CLONES + 7  # effector CD8 T cells specific for the subdominant epitopes
DC_NODE_SUB = CLONES + 8  # DCs loaded from antigen-loss cells, presenting in the node

IMMUNE_NAMES = (
    "DC_loaded", "DC_node", "naive", "CTL", "exhausted", "NK", "Treg", "CTL_sub", "DC_node_sub",
)  # fmt: skip
SPECIES_NAMES = (*CLONE_NAMES, *IMMUNE_NAMES)

IL2 = 0  # endogenous IL-2
TGFB = 1  # TGF-β / IL-10 (suppressive cytokines)
IFNG = 2  # IFN-γ
ANTI_PD1 = 3  # anti-PD-1 / PD-L1 antibody exposure
ANTI_TGFB = 4  # anti-TGF-β antibody exposure
ANTI_CD25 = 5  # anti-CD25 antibody exposure
CHEMO = 6  # cytotoxic drug exposure
PEPTIDE = 7  # peptide vaccine exposure at the injection site
RIL2 = 8  # recombinant IL-2 exposure
PDL1_INDUCED = 9  # share of PD-L1-low cells with IFN-γ-induced PD-L1
CD4_HELP = 10  # activated tumour-specific CD4 helper T cells (a mean-field level)
NAIVE_SUB = 11  # naive CD8 T cells of the subdominant epitopes (a mean-field level)

LEVEL_NAMES = (
    "IL2", "TGFb", "IFNg", "anti_PD1", "anti_TGFb", "anti_CD25", "chemo", "peptide", "rIL2",
    "PDL1_induced", "CD4_help", "naive_sub",
)  # fmt: skip
