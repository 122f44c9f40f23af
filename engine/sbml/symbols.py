"""Where every SBML id lives in the kernel's vectors, and the Python source that reads it.

Counted species are ``counts[i]`` (amounts, in items; a species without
``hasOnlySubstanceUnits`` reads as ``amount / compartment size`` in math, SBML's
concentration). Species and parameters with a rate rule are levels (``levels[k]``).
Compartment sizes and parameters, global and local, are ``p[k]`` so a scenario can set
them. Ids with an assignment rule are not state: their rule is inlined where they appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libsbml

from escapesim.engine.sbml.errors import SbmlError
from escapesim.engine.sbml.expressions import Translator

#: Largest magnitude of an SBML parameter a scenario may set (SBML values may be negative).
PARAMETER_BOUND = 1e300


@dataclass(slots=True)
class Symbols:
    """The layout of one model's state and parameters."""

    counts: list[str] = field(default_factory=list)  # species ids, kernel order
    levels: list[str] = field(default_factory=list)  # ids with a rate rule
    parameters: list[str] = field(default_factory=list)  # scenario parameter names
    values: dict[str, float] = field(default_factory=dict)  # parameter defaults
    initial: dict[str, float] = field(default_factory=dict)  # counts and levels
    sources: dict[str, str] = field(default_factory=dict)  # id -> Python source
    units: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    amount_scale: dict[str, str] = field(default_factory=dict)  # species -> "p[V]" or "1.0"

    def parameter(self, name: str, value: float, description: str, unit: str = "") -> str:
        """Add a parameter; returns its Python source."""
        self.parameters.append(name)
        self.values[name] = value
        self.descriptions[name] = description
        self.units[name] = unit
        return f"p[{len(self.parameters) - 1}]"


def layout(model: libsbml.Model) -> Symbols:
    """Place every compartment, species and global parameter of ``model``."""
    symbols = Symbols()
    rules = {r.getVariable(): r for r in model.getListOfRules()}
    for compartment in model.getListOfCompartments():
        size = compartment.getSize() if compartment.isSetSize() else 1.0
        cid = compartment.getId()
        symbols.sources[cid] = symbols.parameter(
            cid, size, f"size of compartment {compartment.getName() or cid}"
        )
    for parameter in model.getListOfParameters():
        pid = parameter.getId()
        if pid in rules:
            continue
        if not parameter.isSetValue():
            raise SbmlError([f"parameter {pid}: has no value"])
        symbols.sources[pid] = symbols.parameter(
            pid, parameter.getValue(), parameter.getName() or pid, parameter.getUnits()
        )
    for species in model.getListOfSpecies():
        if species.getId() not in rules:
            _place_species(model, species, symbols)
    for rule in model.getListOfRules():
        if rule.isRate():
            _place_level(model, rule, symbols)
    _inline_assignment_rules(model, symbols)
    return symbols


def _place_species(model: libsbml.Model, species: libsbml.Species, symbols: Symbols) -> None:
    sid = species.getId()
    compartment = species.getCompartment()
    size = symbols.sources[compartment]
    scale = "1.0" if species.getHasOnlySubstanceUnits() else size
    symbols.amount_scale[sid] = scale
    symbols.descriptions[sid] = species.getName() or sid
    symbols.units[sid] = species.getSubstanceUnits() or "items"
    amount = _initial_amount(model, species)
    if not float(amount).is_integer() and abs(amount - round(amount)) > 1e-9 * max(1, amount):
        raise SbmlError(
            [f"species {sid}: initial amount {amount:g} is not a whole number of items"]
        )
    symbols.initial[sid] = float(round(amount))
    symbols.counts.append(sid)
    read = f"counts[{len(symbols.counts) - 1}]"
    symbols.sources[sid] = read if scale == "1.0" else f"({read} / {scale})"


def _initial_amount(model: libsbml.Model, species: libsbml.Species) -> float:
    if species.isSetInitialAmount():
        return float(species.getInitialAmount())
    if species.isSetInitialConcentration():
        size = model.getCompartment(species.getCompartment()).getSize()
        return float(species.getInitialConcentration()) * float(size)
    raise SbmlError([f"species {species.getId()}: has no initial amount or concentration"])


def _place_level(model: libsbml.Model, rule: libsbml.Rule, symbols: Symbols) -> None:
    """A rate-ruled id becomes a level, valued as math reads it (a concentration stays one)."""
    vid = rule.getVariable()
    species = model.getSpecies(vid)
    if species is not None:
        initial = _initial_amount(model, species)
        if not species.getHasOnlySubstanceUnits():
            initial /= model.getCompartment(species.getCompartment()).getSize()
        symbols.descriptions[vid] = species.getName() or vid
        symbols.units[vid] = species.getSubstanceUnits() or "items"
    else:
        parameter = model.getParameter(vid)
        if parameter is None or not parameter.isSetValue():
            raise SbmlError([f"rateRule for {vid}: needs a species or a parameter with a value"])
        initial = parameter.getValue()
        symbols.descriptions[vid] = parameter.getName() or vid
        symbols.units[vid] = parameter.getUnits()
    symbols.initial[vid] = float(initial)
    symbols.levels.append(vid)
    symbols.sources[vid] = f"levels[{len(symbols.levels) - 1}]"


def _inline_assignment_rules(model: libsbml.Model, symbols: Symbols) -> None:
    """Resolve assignment rules in dependency order (SBML forbids cycles)."""
    pending = {r.getVariable(): r for r in model.getListOfRules() if r.isAssignment()}
    while pending:
        progressed = False
        for variable, rule in list(pending.items()):
            needs = _names(rule.getMath()) & set(pending)
            if needs:
                continue
            where = f"assignmentRule for {variable}"
            source = Translator(symbols.sources, where).source(rule.getMath())
            symbols.sources[variable] = f"({source})"
            del pending[variable]
            progressed = True
        if not progressed:
            raise SbmlError([f"assignmentRule for {v}: circular" for v in sorted(pending)])


def _names(node: libsbml.ASTNode | None) -> set[str]:
    if node is None:
        return set()
    found = {node.getName()} if node.getType() == libsbml.AST_NAME else set()
    for i in range(node.getNumChildren()):
        found |= _names(node.getChild(i))
    return found
