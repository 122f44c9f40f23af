"""A preset, with a scenario's parameter values and initial state, as SBML Level 3.

Conventions (those :mod:`escapesim.engine.sbml.importing` reads back): one compartment
``site`` of size 1; species are amounts (``hasOnlySubstanceUnits``), so a kinetic law is
the channel's propensity and also, read deterministically, its ODE flux; every channel is
an irreversible reaction whose reactants and products give its change; concentrations are
species with a rate rule.
"""

from __future__ import annotations

from collections.abc import Mapping

import libsbml

from escapesim.engine.network import Channel, Network
from escapesim.engine.sbml.errors import SbmlError
from escapesim.engine.sbml.laws import LAWS, REFUSED

LEVEL, VERSION = 3, 2
COMPARTMENT = "site"


def export(network: Network, parameters: Mapping[str, float], initial: Mapping[str, float]) -> str:
    """The SBML document of ``network`` with these values; raises :class:`SbmlError`."""
    if network.name in REFUSED:
        raise SbmlError([f"preset {network.name}: not exported: {REFUSED[network.name]}"])
    laws = LAWS.get(network.name)
    if laws is None:
        raise SbmlError([f"preset {network.name}: has no SBML formulas (engine/sbml/laws.py)"])
    document = libsbml.SBMLDocument(LEVEL, VERSION)
    model = document.createModel()
    model.setId(network.name)
    model.setName(network.title)
    _compartment(model)
    for spec in network.parameters:
        _parameter(model, spec.name, parameters[spec.name], spec.description)
    for species in (*network.species, *network.levels):
        _species(model, species.name, initial[species.name], species.description)
    for channel in network.channels:
        _reaction(model, channel, laws.channels[channel.name])
    for name, formula in laws.levels.items():
        rule = model.createRateRule()
        rule.setVariable(name)
        rule.setMath(_math(formula, f"rate of {name}"))
    _check(document, network.name)
    return str(libsbml.writeSBMLToString(document))


def _compartment(model: libsbml.Model) -> None:
    compartment = model.createCompartment()
    compartment.setId(COMPARTMENT)
    compartment.setSize(1.0)
    compartment.setSpatialDimensions(3)
    compartment.setConstant(True)


def _parameter(model: libsbml.Model, name: str, value: float, description: str) -> None:
    parameter = model.createParameter()
    parameter.setId(name)
    parameter.setName(description)
    parameter.setValue(float(value))
    parameter.setConstant(True)


def _species(model: libsbml.Model, name: str, value: float, description: str) -> None:
    species = model.createSpecies()
    species.setId(name)
    species.setName(description)
    species.setCompartment(COMPARTMENT)
    species.setInitialAmount(float(value))
    species.setHasOnlySubstanceUnits(True)
    species.setBoundaryCondition(False)
    species.setConstant(False)


def _reaction(model: libsbml.Model, channel: Channel, formula: str) -> None:
    reaction = model.createReaction()
    reaction.setId(channel.name)
    reaction.setName(channel.description)
    reaction.setReversible(False)
    math = _math(formula, f"channel {channel.name}")
    for name, amount in channel.change.items():
        ref = reaction.createReactant() if amount < 0 else reaction.createProduct()
        ref.setSpecies(name)
        ref.setStoichiometry(abs(amount))
        ref.setConstant(True)
    changed = set(channel.change)
    for name in sorted(_species_in(math, model) - changed):
        modifier = reaction.createModifier()
        modifier.setSpecies(name)
    law = reaction.createKineticLaw()
    law.setMath(math)


def _math(formula: str, where: str) -> libsbml.ASTNode:
    math = libsbml.parseL3Formula(formula)
    if math is None:
        raise SbmlError([f"{where}: cannot parse {formula!r}: {libsbml.getLastParseL3Error()}"])
    return math


def _species_in(node: libsbml.ASTNode, model: libsbml.Model) -> set[str]:
    found = set()
    if node.getType() == libsbml.AST_NAME and model.getSpecies(node.getName()) is not None:
        found.add(node.getName())
    for i in range(node.getNumChildren()):
        found |= _species_in(node.getChild(i), model)
    return found


def _check(document: libsbml.SBMLDocument, name: str) -> None:
    document.checkConsistency()
    log = document.getErrorLog()
    errors = [
        log.getError(i).getMessage()
        for i in range(log.getNumErrors())
        if log.getError(i).getSeverity() in (libsbml.LIBSBML_SEV_ERROR, libsbml.LIBSBML_SEV_FATAL)
    ]
    if errors:  # a defect of the exporter, not of the user's input
        raise SbmlError([f"preset {name}: exported SBML is invalid: {' '.join(errors)}"])
