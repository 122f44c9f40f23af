"""Compiled code: rate laws and the kernel's inner loop, compiled with numba on first use.

Why numba: a step of the hybrid kernel is a few dozen small array operations and one or
two evaluations of the rate laws; in Python each costs a call's overhead, not arithmetic
(~280 µs per step for escape2004's 195 channels). Compiled, the same step is a few µs.

Three rules keep compiled code cheap to load and deterministic:

* Entry points (the kernel loop, every preset's rate laws) are compiled for one explicit
  signature, lazily (:class:`Native`): importing the engine compiles nothing.
* Rate laws reach the kernel loop as first-class function values of a fixed type
  (:data:`RATE_LAW`, :data:`LEVEL_LAW`). The loop is then compiled once for every preset,
  and numba can cache it on disk (a loop specialised per rate-law object could not be).
* State crosses into compiled code once, as a numba structure (see
  :mod:`escapesim.engine.leaping`): numba unpacks a bare Generator at every call (~20 µs) and looks
  up a first-class function's address at every call; a structure holding them, once.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import numba
import numpy as np
from numba import types
from numba.core import event
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.core.typing.typeof import typeof_impl

from escapesim.engine.network import FloatArray

F = TypeVar("F", bound=Callable[..., Any])

#: A contiguous float64 vector, the only array type rate laws see.
VECTOR = types.float64[::1]

#: ``propensities(counts, levels, parameters, out)``: write every channel's propensity.
RATE_LAW = types.void(VECTOR, VECTOR, VECTOR, VECTOR)

#: ``level_rates(counts, levels, parameters, production, decay)``: write every
#: concentration's production per day and first-order decay per day.
LEVEL_LAW = types.void(VECTOR, VECTOR, VECTOR, VECTOR, VECTOR)


def jit(function: F) -> F:
    """Compile ``function`` when a compiled caller first needs it (cached on disk).

    For helpers called from compiled code only; they are typed from their callers.
    """
    return cast(F, numba.njit(cache=True, nogil=True)(function))


class Native(Generic[F]):
    """An entry point: ``function`` compiled for ``signature`` the first time it is used."""

    def __init__(self, function: F, signature: Any) -> None:
        self.function = function
        self.signature = signature

    @functools.cached_property
    def compiled(self) -> F:
        """The compiled function (compiling or loading it from the disk cache once)."""
        with warnings.catch_warnings():
            # Typing function values (rate laws, a preset's parts) is numba's "first-class
            # function" feature; it works, and the warning would only reach our users.
            warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
            return cast(F, numba.njit(self.signature, cache=True, nogil=True)(self.function))

    @functools.cached_property
    def entry(self) -> F:
        """:attr:`compiled`'s compiled entry point for its one signature: the same
        function without the dispatcher's search for a matching signature, which types
        every argument at every call (~1 µs for a numba structure; the kernel loop is
        called once or twice per sampled day)."""
        dispatcher: Any = self.compiled
        return cast(F, dispatcher.overloads[dispatcher.signatures[0]].entry_point)

    @functools.cached_property
    def address(self) -> Any:
        """The compiled function as a first-class function value for compiled callers.

        Passing :attr:`compiled` itself would make numba look its address up at every
        call (~100 µs); this value carries the address with it.
        """
        dispatcher: Any = self.compiled
        return FirstClass(dispatcher.overloads[dispatcher.signatures[0]])


class FirstClass(types.CompileResultWAP):
    """A compiled function as a first-class function value, typed once (not per call)."""

    def __init__(self, compile_result: Any) -> None:
        super().__init__(compile_result)
        self.type = types.FunctionType(compile_result.signature)


@typeof_impl.register(FirstClass)
def _typeof_first_class(value: FirstClass, context: Any) -> Any:
    return value.type


RateLaw = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], None]
LevelLaw = Callable[[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray], None]


@dataclass(frozen=True, slots=True)
class CompiledKinetics:
    """A network's rate laws with its parameter values bound into one vector.

    ``propensities`` and ``level_rates`` evaluate them from Python (for tests and
    inspection); the kernel hands the compiled laws to its compiled loop directly.
    """

    rate_law: Native[RateLaw]
    level_law: Native[LevelLaw]
    parameters: FloatArray
    channels: int
    levels: int

    def propensities(self, counts: FloatArray, levels: FloatArray) -> FloatArray:
        """Propensity (events per day) of every channel, in channel order."""
        out = np.zeros(self.channels)
        self.rate_law.compiled(_vector(counts), _vector(levels), self.parameters, out)
        return out

    def level_rates(self, counts: FloatArray, levels: FloatArray) -> tuple[FloatArray, FloatArray]:
        """For every concentration: production per day and first-order decay per day."""
        production, decay = np.zeros(self.levels), np.zeros(self.levels)
        self.level_law.compiled(
            _vector(counts), _vector(levels), self.parameters, production, decay
        )
        return production, decay


def _vector(values: FloatArray) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def no_levels(
    counts: FloatArray, levels: FloatArray, parameters: FloatArray, production: FloatArray,
    decay: FloatArray,
) -> None:  # fmt: skip
    """The level law of a network without concentrations."""


#: Shared by every network without concentrations.
NO_LEVELS: Native[LevelLaw] = Native(no_levels, LEVEL_LAW)


@contextlib.contextmanager
def compiling(started: Callable[[], None]) -> Iterator[None]:
    """While the body runs, call ``started`` each time numba begins compiling one of the
    engine's functions (never for code it loads from its disk cache): how a caller knows a
    machine's first run is compiling, as it happens (numba's event API,
    ``numba:compile``). numba's own helpers that no cache keeps (``numba.typed.List``
    compiles its methods in every process, ~0.3 s) do not count."""

    class _Started(event.Listener):
        def on_start(self, found: event.Event) -> None:
            function = getattr(found.data.get("dispatcher"), "py_func", None)
            # numba's generated functions may have no module (``__module__`` is None).
            module = getattr(function, "__module__", None) or ""
            if module.startswith("escapesim."):
                started()

        def on_end(self, _event: event.Event) -> None:
            pass

    with event.install_listener("numba:compile", _Started()):
        yield
