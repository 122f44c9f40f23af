"""SBML documents the tests write with libSBML itself: one per supported construct.

Each builder returns the document's text. ``Builder`` keeps the libSBML boilerplate (ids,
``constant`` flags, L2 versus L3 attributes) out of the tests, which then read as the
models they describe.
"""

from __future__ import annotations

from collections.abc import Mapping

import libsbml


class Builder:
    """A model under construction in SBML ``level``/``version``."""

    def __init__(self, model_id: str, level: int = 3, version: int = 2) -> None:
        self.document = libsbml.SBMLDocument(level, version)
        self.model = self.document.createModel()
        self.model.setId(model_id)
        self.level = level

    def compartment(self, cid: str, size: float = 1.0) -> Builder:
        compartment = self.model.createCompartment()
        compartment.setId(cid)
        compartment.setSize(size)
        compartment.setConstant(True)
        return self

    def species(
        self, sid: str, *, amount: float | None = None, concentration: float | None = None,
        compartment: str = "cell", only_substance: bool = True, boundary: bool = False,
        constant: bool = False,
    ) -> Builder:  # fmt: skip
        species = self.model.createSpecies()
        species.setId(sid)
        species.setCompartment(compartment)
        if amount is not None:
            species.setInitialAmount(amount)
        if concentration is not None:
            species.setInitialConcentration(concentration)
        species.setHasOnlySubstanceUnits(only_substance)
        species.setBoundaryCondition(boundary)
        species.setConstant(constant)
        return self

    def parameter(self, pid: str, value: float | None, constant: bool = True) -> Builder:
        parameter = self.model.createParameter()
        parameter.setId(pid)
        if value is not None:
            parameter.setValue(value)
        parameter.setConstant(constant)
        return self

    def reaction(
        self, rid: str, law: str, reactants: Mapping[str, float] | None = None,
        products: Mapping[str, float] | None = None, modifiers: tuple[str, ...] = (),
        local: Mapping[str, float] | None = None,
    ) -> libsbml.Reaction:  # fmt: skip
        reaction = self.model.createReaction()
        reaction.setId(rid)
        reaction.setReversible(False)
        if self.level >= 3:
            reaction.setFast(False)
        for create, refs in (
            (reaction.createReactant, reactants),
            (reaction.createProduct, products),
        ):
            for sid, amount in (refs or {}).items():
                ref = create()
                ref.setSpecies(sid)
                ref.setStoichiometry(amount)
                if self.level >= 3:
                    ref.setConstant(True)
        for sid in modifiers:
            reaction.createModifier().setSpecies(sid)
        kinetic = reaction.createKineticLaw()
        for pid, value in (local or {}).items():
            parameter = (
                kinetic.createLocalParameter() if self.level >= 3 else kinetic.createParameter()
            )
            parameter.setId(pid)
            parameter.setValue(value)
        kinetic.setMath(_math(law))
        return reaction

    def function(self, fid: str, formula: str) -> Builder:
        definition = self.model.createFunctionDefinition()
        definition.setId(fid)
        definition.setMath(_math(formula))
        return self

    def assignment_rule(self, variable: str, formula: str) -> Builder:
        rule = self.model.createAssignmentRule()
        rule.setVariable(variable)
        rule.setMath(_math(formula))
        return self

    def rate_rule(self, variable: str, formula: str) -> Builder:
        rule = self.model.createRateRule()
        rule.setVariable(variable)
        rule.setMath(_math(formula))
        return self

    def initial_assignment(self, symbol: str, formula: str) -> Builder:
        assignment = self.model.createInitialAssignment()
        assignment.setSymbol(symbol)
        assignment.setMath(_math(formula))
        return self

    def event(
        self, eid: str, trigger: str, assignments: Mapping[str, str], *,
        initial_value: bool = True,
    ) -> libsbml.Event:  # fmt: skip
        event = self.model.createEvent()
        event.setId(eid)
        if self.level >= 3:
            event.setUseValuesFromTriggerTime(True)
        made = event.createTrigger()
        made.setMath(_math(trigger))
        if self.level >= 3:
            made.setInitialValue(initial_value)
            made.setPersistent(True)
        for variable, formula in assignments.items():
            assignment = event.createEventAssignment()
            assignment.setVariable(variable)
            assignment.setMath(_math(formula))
        return event

    def text(self) -> str:
        return str(libsbml.writeSBMLToString(self.document))


def _math(formula: str) -> libsbml.ASTNode:
    math = libsbml.parseL3Formula(formula)
    assert math is not None, libsbml.getLastParseL3Error()
    return math


def birth_death(birth: float, death: float, x0: int) -> Builder:
    """DSMTS 001's birth–death process: X → 2X at birth·X, X → ∅ at death·X."""
    built = Builder("birth_death_sbml").compartment("cell").species("X", amount=x0)
    built.parameter("lambda", birth).parameter("mu", death)
    built.reaction("Birth", "lambda * X", {"X": 1}, {"X": 2})
    built.reaction("Death", "mu * X", {"X": 1})
    return built
