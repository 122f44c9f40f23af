"""Tumour clones: a clone is a combination of escape traits (a five-bit mask).

The review (Ahmad, Rees & Ali 2004) lists the tumour's own escape phenotypes: loss of the
target antigen, loss of MHC class I, inhibitory ligands (PD-L1), Fas ligand, and secreted
suppressive factors (TGF-β / IL-10). Each is one bit; the 32 combinations are the clones.
Antigen loss and MHC-I loss arise by mutation at division (the ``variants`` mechanism);
the other three are inherited from the founder cells given in the scenario's initial
state. Clones nobody seeds or reaches keep zero count and zero propensity.

Species names spell the traits in bit order: ``T`` has none, ``T_a`` lost its antigen,
``T_amp`` lost antigen and MHC-I and is PD-L1-high, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np
import numpy.typing as npt


class Trait(IntFlag):
    """One escape trait of a tumour clone (a bit of its mask)."""

    ANTIGEN_LOSS = 1  # a: lost the (immunodominant) tumour antigen, see mechanisms/epitopes
    MHC_LOSS = 2  # m: no MHC class I, invisible to CTLs, a target of NK cells
    PDL1_HIGH = 4  # p: PD-L1-high, drives exhaustion of the CTLs it engages
    FASL = 8  # f: Fas ligand, kills the CTLs that engage it
    SECRETOR = 16  # s: secretes TGF-β / IL-10


#: Letters of the traits in bit order, used in species names.
LETTERS = {
    Trait.ANTIGEN_LOSS: "a",
    Trait.MHC_LOSS: "m",
    Trait.PDL1_HIGH: "p",
    Trait.FASL: "f",
    Trait.SECRETOR: "s",
}

#: The traits in words, as a biologist names them.
_WORDS = {
    Trait.ANTIGEN_LOSS: "antigen-loss",
    Trait.MHC_LOSS: "MHC-I-loss",
    Trait.PDL1_HIGH: "PD-L1-high",
    Trait.FASL: "FasL+",
    Trait.SECRETOR: "TGF-β secretor",
}


@dataclass(frozen=True, slots=True)
class Clone:
    """A tumour clone: its trait mask and the species name it is counted under."""

    traits: Trait

    @property
    def name(self) -> str:
        """``T`` followed by the trait letters, e.g. ``T_ap``."""
        letters = "".join(letter for trait, letter in LETTERS.items() if trait in self.traits)
        return f"T_{letters}" if letters else "T"

    def has(self, trait: Trait) -> bool:
        """True when the clone carries ``trait``."""
        return trait in self.traits

    @property
    def visible(self) -> bool:
        """A CTL recognises the clone only if it shows antigen on MHC class I."""
        return not self.traits & (Trait.ANTIGEN_LOSS | Trait.MHC_LOSS)

    def with_trait(self, trait: Trait) -> Clone:
        """The clone a mutation adding ``trait`` produces."""
        return Clone(self.traits | trait)

    @property
    def label(self) -> str:
        """The clone in words for figures: ``"PD-L1-high, TGF-β secretor clone"``."""
        words = [_WORDS[t] for t in Trait if t in self.traits]
        return f"{', '.join(words)} clone" if words else "founder clone (no escape trait)"

    def describe(self) -> str:
        """A readable list of the clone's traits."""
        names = [t.name.lower() for t in Trait if t in self.traits]  # type: ignore[union-attr]
        return ", ".join(names) if names else "no escape trait"


#: Every clone, in bit order (the index of a clone is its mask).
CLONES: tuple[Clone, ...] = tuple(Clone(Trait(mask)) for mask in range(2 ** len(Trait)))
NAMES: tuple[str, ...] = tuple(c.name for c in CLONES)


def mask(trait: Trait) -> npt.NDArray[np.bool_]:
    """Per clone: does it carry ``trait``?"""
    return np.array([c.has(trait) for c in CLONES])


#: Per clone: recognisable by tumour-specific CTLs (antigen on MHC-I).
VISIBLE: npt.NDArray[np.bool_] = np.array([c.visible for c in CLONES])
#: Indices of the CTL-visible clones (CTL encounter channels exist only for these).
VISIBLE_INDEX: npt.NDArray[np.intp] = np.flatnonzero(VISIBLE)
#: The same clones as a slice (a view, no copy: antigen and MHC-I are the two low bits).
VISIBLE_SLICE = slice(0, None, 4)
assert np.array_equal(np.arange(len(CLONES))[VISIBLE_SLICE], VISIBLE_INDEX)
#: Indices of the clones that lost the immunodominant antigen but keep MHC-I: with
#: several antigens (:mod:`.mechanisms.epitopes`) CTLs of the subdominant epitopes see them.
SUBDOMINANT_ONLY_INDEX: npt.NDArray[np.intp] = np.flatnonzero(
    [c.has(Trait.ANTIGEN_LOSS) and not c.has(Trait.MHC_LOSS) for c in CLONES]
)


def composition(counts: npt.NDArray[np.float64]) -> dict[str, float]:
    """Fraction of the tumour carrying each trait (the trait make-up at escape)."""
    total = float(counts.sum())
    if total <= 0.0:
        return {t.name.lower(): 0.0 for t in Trait}  # type: ignore[union-attr]
    return {
        t.name.lower(): float(counts[mask(t)].sum()) / total  # type: ignore[union-attr]
        for t in Trait
    }
