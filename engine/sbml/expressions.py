"""MathML (libSBML's AST) to Python source for numba, and the order of a rate law.

Every name is resolved through a mapping from SBML id to Python source (``counts[0]``,
``p[3]``, or an inlined assignment rule in parentheses), so the same walk serves kinetic
laws, rate rules, event triggers and event assignments. What has no stochastic meaning
here (``delay``, ``rateOf``, unresolved names) raises :class:`SbmlError` naming the
element the expression belongs to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import libsbml

from escapesim.engine.sbml.errors import SbmlError

#: MathML functions with one argument and the Python (math module) function for each.
_UNARY = {
    libsbml.AST_FUNCTION_EXP: "math.exp",
    libsbml.AST_FUNCTION_LN: "math.log",
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_FLOOR: "math.floor",
    libsbml.AST_FUNCTION_CEILING: "math.ceil",
    libsbml.AST_FUNCTION_SIN: "math.sin",
    libsbml.AST_FUNCTION_COS: "math.cos",
    libsbml.AST_FUNCTION_TAN: "math.tan",
    libsbml.AST_FUNCTION_ARCSIN: "math.asin",
    libsbml.AST_FUNCTION_ARCCOS: "math.acos",
    libsbml.AST_FUNCTION_ARCTAN: "math.atan",
    libsbml.AST_FUNCTION_SINH: "math.sinh",
    libsbml.AST_FUNCTION_COSH: "math.cosh",
    libsbml.AST_FUNCTION_TANH: "math.tanh",
}
_RELATIONS = {
    libsbml.AST_RELATIONAL_EQ: "==",
    libsbml.AST_RELATIONAL_NEQ: "!=",
    libsbml.AST_RELATIONAL_GT: ">",
    libsbml.AST_RELATIONAL_GEQ: ">=",
    libsbml.AST_RELATIONAL_LT: "<",
    libsbml.AST_RELATIONAL_LEQ: "<=",
}
# Level 3 Version 2's extended math.
_MIN, _MAX = libsbml.AST_FUNCTION_MIN, libsbml.AST_FUNCTION_MAX
_QUOTIENT, _REM = libsbml.AST_FUNCTION_QUOTIENT, libsbml.AST_FUNCTION_REM
_LOGICAL = {libsbml.AST_LOGICAL_AND: " and ", libsbml.AST_LOGICAL_OR: " or "}
_CONSTANTS = {
    libsbml.AST_CONSTANT_E: "math.e",
    libsbml.AST_CONSTANT_PI: "math.pi",
    libsbml.AST_CONSTANT_TRUE: "True",
    libsbml.AST_CONSTANT_FALSE: "False",
    libsbml.AST_NAME_AVOGADRO: "6.02214076e23",
}


class Translator:
    """Python source of MathML, with names resolved through ``names``.

    ``where`` names the element (``reaction r1's kineticLaw``) in every error; ``time`` is
    the Python source of the ``time`` csymbol, or ``None`` where time cannot appear.
    """

    def __init__(self, names: Mapping[str, str], where: str, time: str | None = None) -> None:
        self.names = names
        self.where = where
        self.time = time

    def source(self, node: libsbml.ASTNode | None) -> str:
        """The Python expression of ``node``."""
        if node is None:
            raise SbmlError([f"{self.where}: has no math"])
        kind = node.getType()
        if node.isNumber():
            return _number(float(node.getValue()))
        if kind in _CONSTANTS:
            return _CONSTANTS[kind]
        if kind == libsbml.AST_NAME_TIME:
            if self.time is None:
                raise SbmlError([f"{self.where}: uses time, which rate laws cannot see"])
            return self.time
        if kind == libsbml.AST_NAME:
            return self._name(node.getName())
        return self._apply(node, kind)

    def _name(self, name: str) -> str:
        if name not in self.names:
            raise SbmlError([f"{self.where}: unknown or unsupported symbol {name!r}"])
        return self.names[name]

    def _apply(self, node: libsbml.ASTNode, kind: int) -> str:
        args = [self.source(node.getChild(i)) for i in range(node.getNumChildren())]
        if kind == libsbml.AST_PLUS:
            return "(" + " + ".join(args or ["0.0"]) + ")"
        if kind == libsbml.AST_TIMES:
            return "(" + " * ".join(args or ["1.0"]) + ")"
        if kind == libsbml.AST_MINUS:
            return f"(-{args[0]})" if len(args) == 1 else f"({args[0]} - {args[1]})"
        if kind == libsbml.AST_DIVIDE:
            return f"({args[0]} / {args[1]})"
        if kind in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            return f"({args[0]} ** {args[1]})"
        if kind == libsbml.AST_FUNCTION_ROOT:
            degree, radicand = (args[0], args[1]) if len(args) == 2 else ("2.0", args[0])
            return f"({radicand} ** (1.0 / {degree}))"
        if kind == libsbml.AST_FUNCTION_LOG:
            base, value = (args[0], args[1]) if len(args) == 2 else ("10.0", args[0])
            return f"(math.log({value}) / math.log({base}))"
        if kind in _UNARY and len(args) == 1:
            return f"{_UNARY[kind]}({args[0]})"
        if kind in _RELATIONS and len(args) == 2:
            return f"({args[0]} {_RELATIONS[kind]} {args[1]})"
        if kind in _LOGICAL:
            return "(" + _LOGICAL[kind].join(args) + ")"
        if kind == libsbml.AST_LOGICAL_NOT:
            return f"(not {args[0]})"
        if kind == libsbml.AST_LOGICAL_XOR:
            return "((" + " + ".join(f"int({a})" for a in args) + ") % 2 == 1)"
        if kind in (_MIN, _MAX) and args:
            return f"{'min' if kind == _MIN else 'max'}({', '.join(args)})"
        if kind == _QUOTIENT and len(args) == 2:
            return f"math.floor({args[0]} / {args[1]})"
        if kind == _REM and len(args) == 2:
            return f"math.fmod({args[0]}, {args[1]})"
        if kind == libsbml.AST_FUNCTION_PIECEWISE:
            return _piecewise(args)
        name = node.getName() or libsbml.formulaToL3String(node)
        raise SbmlError([f"{self.where}: unsupported MathML {name!r}"])


def _number(value: float) -> str:
    """A literal Python reads back as ``value`` (``inf`` and ``nan`` are not literals)."""
    if math.isnan(value):
        return "math.nan"
    if math.isinf(value):
        return "math.inf" if value > 0 else "(-math.inf)"
    return repr(value)


def _piecewise(args: list[str]) -> str:
    """``piece(value, condition)…, otherwise`` as nested conditional expressions."""
    otherwise = args[-1] if len(args) % 2 == 1 else "math.nan"
    expression = otherwise
    for k in range(len(args) // 2 - 1, -1, -1):
        expression = f"({args[2 * k]} if {args[2 * k + 1]} else {expression})"
    return expression


def degree(node: libsbml.ASTNode | None, species: frozenset[str]) -> int:
    """The polynomial degree of ``node`` in ``species`` (denominators ignored): the
    order of a rate law in the sense of Cao, Gillespie & Petzold 2006 (their g_i).

    ``p·E·T/(g + T)`` has degree 2 and ``a·b·T^2`` degree 2, the orders the presets give.
    """
    if node is None:
        return 0
    kind = node.getType()
    if kind == libsbml.AST_NAME:
        return int(node.getName() in species)
    children = [node.getChild(i) for i in range(node.getNumChildren())]
    if kind == libsbml.AST_TIMES:
        return sum(degree(c, species) for c in children)
    if kind == libsbml.AST_DIVIDE:
        return degree(children[0], species)
    if kind in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
        exponent = children[1]
        base = degree(children[0], species)
        if exponent.isNumber() and float(exponent.getValue()).is_integer():
            return base * max(int(exponent.getValue()), 0)
        return base
    return max((degree(c, species) for c in children), default=0)
