"""Read and check an SBML document with libSBML: errors with line numbers, refusals by id.

After :func:`read`, the model has its function definitions expanded and its initial
assignments evaluated (libSBML's own converters), and everything escapesim cannot
simulate faithfully has been refused with the id of the element that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator

import libsbml

from escapesim.engine.sbml.errors import SbmlError

#: Severities that make a document unusable (warnings are not refusals).
_SEVERE = (libsbml.LIBSBML_SEV_ERROR, libsbml.LIBSBML_SEV_FATAL)


def read(text: str) -> tuple[libsbml.SBMLDocument, libsbml.Model]:
    """Parse, validate and normalise ``text``; raises :class:`SbmlError`."""
    document = libsbml.readSBMLFromString(text)
    _raise_errors(document, "not readable SBML")
    if document.getLevel() not in (2, 3):
        raise SbmlError([f"SBML level {document.getLevel()}: only levels 2 and 3 are supported"])
    packages = _packages(document)
    if packages:
        raise SbmlError([f"package {name!r}: SBML packages are not supported" for name in packages])
    document.checkConsistency()
    _raise_errors(document, "invalid SBML")
    model = document.getModel()
    if model is None:
        raise SbmlError(["the document has no model"])
    problems = list(refusals(model))
    if problems:
        raise SbmlError(problems)
    _convert(document, "expandFunctionDefinitions")
    _convert(document, "expandInitialAssignments")
    return document, document.getModel()


def _packages(document: libsbml.SBMLDocument) -> list[str]:
    """The Level 3 packages the document declares (annotation-only Level 2 extensions such
    as layout carry no simulation semantics and are not declared)."""
    namespaces = document.getNamespaces()
    core = libsbml.SBMLNamespaces.getSBMLNamespaceURI(document.getLevel(), document.getVersion())
    found = []
    for i in range(namespaces.getLength()):
        uri = namespaces.getURI(i)
        if uri != core and uri.startswith("http://www.sbml.org/sbml/level3/"):
            found.append(namespaces.getPrefix(i) or uri)
    return found


def _raise_errors(document: libsbml.SBMLDocument, what: str) -> None:
    log = document.getErrorLog()
    problems = [
        f"line {e.getLine()}: {what}: {' '.join(e.getMessage().split())}"
        for e in (log.getError(i) for i in range(log.getNumErrors()))
        if e.getSeverity() in _SEVERE
    ]
    if problems:
        raise SbmlError(problems)


def _convert(document: libsbml.SBMLDocument, option: str) -> None:
    properties = libsbml.ConversionProperties()
    properties.addOption(option, True)
    if document.convert(properties) != libsbml.LIBSBML_OPERATION_SUCCESS:
        log = document.getErrorLog()
        details = [log.getError(i).getMessage() for i in range(log.getNumErrors())]
        raise SbmlError([f"libSBML could not {option}: {' '.join(' '.join(details).split())}"])


def refusals(model: libsbml.Model) -> Iterator[str]:
    """A message naming the element for everything in ``model`` escapesim refuses."""
    yield from _rule_refusals(model)
    yield from _reaction_refusals(model)
    for event in model.getListOfEvents():
        where = f"event {event.getId() or '(no id)'}"
        if event.isSetDelay():
            yield f"{where}: delayed events are not supported"
        if event.isSetPriority():
            yield f"{where}: event priorities are not supported"
        if event.getTrigger() is None or event.getTrigger().getMath() is None:
            yield f"{where}: has no trigger"
    for constraint in model.getListOfConstraints():
        formula = libsbml.formulaToL3String(constraint.getMath())
        yield f"constraint {formula}: constraints are not supported"
    for element, where in _maths(model):
        if _uses(element, (libsbml.AST_FUNCTION_DELAY,)):
            yield f"{where}: delay() is not supported"
        if _uses(element, (libsbml.AST_FUNCTION_RATE_OF,)):
            yield f"{where}: rateOf() is not supported"


def _rule_refusals(model: libsbml.Model) -> Iterator[str]:
    # A rule on a species that reactions change is invalid SBML (L3V2 section 4.6.6):
    # libSBML's validation has refused it already, naming the species.
    for rule in model.getListOfRules():
        variable = rule.getVariable()
        if rule.isAlgebraic():
            yield f"algebraic rule {libsbml.formulaToL3String(rule.getMath())}: not supported"
            continue
        if model.getCompartment(variable) is not None:
            yield f"compartment {variable}: rules on compartment sizes are not supported"
        if model.getSpeciesReference(variable) is not None:
            yield f"speciesReference {variable}: variable stoichiometry is not supported"


def _reaction_refusals(model: libsbml.Model) -> Iterator[str]:
    for reaction in model.getListOfReactions():
        where = f"reaction {reaction.getId()}"
        if reaction.isSetFast() and reaction.getFast():
            yield f"{where}: fast reactions are not supported"
        if not reaction.isSetKineticLaw() or reaction.getKineticLaw().getMath() is None:
            yield f"{where}: has no kinetic law"
        for ref in (*reaction.getListOfReactants(), *reaction.getListOfProducts()):
            if ref.isSetStoichiometryMath():
                yield f"{where}: species {ref.getSpecies()}: stoichiometryMath is not supported"
            elif not float(ref.getStoichiometry()).is_integer():
                yield (
                    f"{where}: species {ref.getSpecies()}: non-integer stoichiometry "
                    f"{ref.getStoichiometry():g}"
                )


def _maths(model: libsbml.Model) -> Iterator[tuple[libsbml.ASTNode, str]]:
    """Every math element of the model with the element it belongs to."""
    for reaction in model.getListOfReactions():
        if reaction.isSetKineticLaw() and reaction.getKineticLaw().getMath() is not None:
            yield reaction.getKineticLaw().getMath(), f"reaction {reaction.getId()}"
    for rule in model.getListOfRules():
        yield rule.getMath(), f"rule for {rule.getVariable() or '(algebraic)'}"
    for assignment in model.getListOfInitialAssignments():
        yield assignment.getMath(), f"initialAssignment {assignment.getSymbol()}"
    for event in model.getListOfEvents():
        where = f"event {event.getId() or '(no id)'}"
        if event.getTrigger() is not None and event.getTrigger().getMath() is not None:
            yield event.getTrigger().getMath(), where
        for assignment in event.getListOfEventAssignments():
            yield assignment.getMath(), f"{where} assignment to {assignment.getVariable()}"
    for definition in model.getListOfFunctionDefinitions():
        yield definition.getMath(), f"functionDefinition {definition.getId()}"


def _uses(node: libsbml.ASTNode | None, kinds: tuple[int, ...]) -> bool:
    if node is None:
        return False
    if node.getType() in kinds:
        return True
    return any(_uses(node.getChild(i), kinds) for i in range(node.getNumChildren()))
