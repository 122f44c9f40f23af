"""An SBML model as escapesim's parts: channels with Python rate laws, levels, events.

The stochastic conventions are those of the SBML Discrete Stochastic Models Test Suite
(Evans, Gillespie & Wilkinson 2008): a kinetic law is the reaction's propensity in
events per unit time, species are whole amounts, boundary species are never changed by
reactions. Each reaction is one channel whose change is its net stoichiometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import libsbml

from escapesim.engine.sbml.errors import SbmlError
from escapesim.engine.sbml.expressions import Translator, degree
from escapesim.engine.sbml.symbols import Symbols


@dataclass(frozen=True, slots=True)
class ChannelSource:
    """One reaction: its net change, order, description and propensity source."""

    name: str
    change: dict[str, int]
    order: int
    description: str
    law: str


@dataclass(frozen=True, slots=True)
class LevelSource:
    """A rate rule: ``rate`` and the same rate with the level itself at zero."""

    rate: str
    at_zero: str


@dataclass(frozen=True, slots=True)
class EventSource:
    """An event: ``at`` (a time trigger's day) or ``trigger``, and its assignments."""

    name: str
    at: str | None
    trigger: str | None
    initial_value: bool
    assignments: tuple[tuple[str, str], ...]  # (target source, value source)


def channels(model: libsbml.Model, symbols: Symbols) -> list[ChannelSource]:
    """Every reaction of ``model`` as a channel."""
    counted = frozenset(symbols.counts)
    found = []
    for reaction in model.getListOfReactions():
        rid = reaction.getId()
        law = reaction.getKineticLaw()
        names = dict(symbols.sources)
        for local in _locals(law):
            names[local.getId()] = symbols.parameter(
                f"{rid}.{local.getId()}", local.getValue(), f"local parameter of reaction {rid}"
            )
        source = Translator(names, f"reaction {rid}: kineticLaw").source(law.getMath())
        found.append(
            ChannelSource(
                name=rid,
                change=_change(model, reaction, counted),
                order=max(1, degree(law.getMath(), counted)),
                description=reaction.getName() or libsbml.formulaToL3String(law.getMath()),
                law=source,
            )
        )
    return found


def _locals(law: libsbml.KineticLaw) -> list[libsbml.SBase]:
    # Level 3 has localParameters; level 2 kinetic laws have parameters of their own.
    if law.getLevel() >= 3:
        return list(law.getListOfLocalParameters())
    return list(law.getListOfParameters())


def _change(
    model: libsbml.Model, reaction: libsbml.Reaction, counted: frozenset[str]
) -> dict[str, int]:
    change: dict[str, int] = {}
    for sign, refs in ((-1, reaction.getListOfReactants()), (1, reaction.getListOfProducts())):
        for ref in refs:
            species = model.getSpecies(ref.getSpecies())
            if species.getBoundaryCondition() or species.getConstant():
                continue  # SBML: reactions do not change boundary or constant species
            if ref.getSpecies() not in counted:
                raise SbmlError([f"reaction {reaction.getId()}: changes {ref.getSpecies()}, "
                                 "which a rule also sets"])  # fmt: skip
            amount = change.get(ref.getSpecies(), 0) + sign * int(ref.getStoichiometry())
            change[ref.getSpecies()] = amount
    return {k: v for k, v in change.items() if v != 0}


def levels(model: libsbml.Model, symbols: Symbols) -> list[LevelSource]:
    """Every rate rule, in the order of ``symbols.levels``."""
    rules = {r.getVariable(): r for r in model.getListOfRules() if r.isRate()}
    found = []
    for vid in symbols.levels:
        where = f"rateRule for {vid}"
        math = rules[vid].getMath()
        rate = Translator(symbols.sources, where).source(math)
        zeroed = {**symbols.sources, vid: "0.0"}
        found.append(LevelSource(rate, Translator(zeroed, where).source(math)))
    return found


def events(model: libsbml.Model, symbols: Symbols) -> list[EventSource]:
    """Every event, with its trigger as a calendar day where it is a time trigger."""
    found = []
    for n, event in enumerate(model.getListOfEvents()):
        name = event.getId() or f"event{n}"
        where = f"event {name}"
        trigger = event.getTrigger()
        day = _trigger_day(trigger.getMath(), symbols, where)
        state = (
            None
            if day is not None
            else Translator(symbols.sources, where, "t").source(trigger.getMath())
        )
        initial = trigger.getInitialValue() if trigger.isSetInitialValue() else True
        found.append(
            EventSource(name, day, state, bool(initial), _assignments(model, event, symbols, where))
        )
    return found


def _trigger_day(math: libsbml.ASTNode, symbols: Symbols, where: str) -> str | None:
    """The day of a trigger ``time >= value`` (or ``>``), ``value`` free of state."""
    if math.getType() not in (libsbml.AST_RELATIONAL_GEQ, libsbml.AST_RELATIONAL_GT):
        return None
    if math.getNumChildren() != 2 or math.getChild(0).getType() != libsbml.AST_NAME_TIME:
        return None
    value = Translator(symbols.sources, where).source(math.getChild(1))
    return None if ("counts[" in value or "levels[" in value) else value


def _assignments(
    model: libsbml.Model, event: libsbml.Event, symbols: Symbols, where: str
) -> tuple[tuple[str, str], ...]:
    found = []
    for assignment in event.getListOfEventAssignments():
        target = assignment.getVariable()
        value = Translator(symbols.sources, f"{where}: assignment to {target}", "t").source(
            assignment.getMath()
        )
        if model.getCompartment(target) is not None:
            raise SbmlError([f"{where}: assignments to compartment {target} are not supported"])
        if target in symbols.counts:
            i = symbols.counts.index(target)
            scale = symbols.amount_scale[target]
            # A count stays whole: the assigned amount is rounded to the nearest item.
            found.append((f"counts[{i}]", f"float(round({value} * {scale}))"))
        elif target in symbols.levels:
            found.append((symbols.sources[target], value))
        elif target in symbols.parameters:
            found.append((f"p[{symbols.parameters.index(target)}]", value))
        else:
            raise SbmlError([f"{where}: cannot assign to {target} (a rule sets it, or it "
                             "is constant)"])  # fmt: skip
    return tuple(found)
