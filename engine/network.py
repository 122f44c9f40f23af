"""Reaction networks: species, parameters and channels that the kernel simulates.

A network is data plus one bound rate law (compiled, see :mod:`escapesim.engine.compiled`). Presets
and mechanism modules describe their biology as channels (a stoichiometric change and,
optionally, products that appear after
a delay); the kernel never knows what a channel means.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from escapesim.engine.frozen import FrozenMap

if TYPE_CHECKING:
    from escapesim.engine.compiled import CompiledKinetics
    from escapesim.engine.stoichiometry import Stoichiometry

FloatArray = npt.NDArray[np.float64]

#: The largest population a scenario may start with (exactly representable in float64).
MAX_COUNT = 1e15


@dataclass(frozen=True, kw_only=True, slots=True)
class ParameterSpec:
    """A named model parameter with its unit, default, inclusive bounds and meaning."""

    name: str
    unit: str
    default: float
    description: str
    lower: float = 0.0
    upper: float = 1e12
    source: str = ""


class Role(enum.Enum):
    """What a population or concentration is to the biology: how figures group them.

    The value is the group's name in words (a figure panel's title).
    """

    TUMOUR = "tumour clones"
    EFFECTOR = "effector cells"
    PRIMING = "antigen presentation and priming"
    SUPPRESSOR = "suppressors"
    SIGNAL = "signals"
    DRUG = "drugs"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True, slots=True)
class Species:
    """A population (integer count) or a concentration (continuous quantity).

    ``label`` is its name in words for figures and tables (``"effector CD8 T cells"``,
    not ``CTL``); ``role`` groups it with its kind (:class:`Role`).
    """

    name: str
    unit: str
    initial: float
    description: str
    upper: float = MAX_COUNT
    label: str = ""
    role: Role = Role.OTHER

    @property
    def display(self) -> str:
        """The label in words, or the symbol where the preset gives none."""
        return self.label or self.name


@dataclass(frozen=True, kw_only=True, slots=True)
class Delay:
    """How long after its channel fired a delayed product appears, in days.

    ``shape=None`` is a fixed delay; otherwise the delay is gamma distributed with this
    mean and shape (coefficient of variation ``1/sqrt(shape)``). ``parameter`` names the
    network's parameter that sets the mean in a scenario (a profile or ``parameters`` may
    change it); ``mean`` is then that parameter's default.
    """

    mean: float
    shape: float | None = None
    parameter: str | None = None

    def bound(self, values: Mapping[str, float]) -> Delay:
        """This delay with its mean from ``values`` (itself when no parameter sets it)."""
        if self.parameter is None:
            return self
        return Delay(mean=float(values[self.parameter]), shape=self.shape)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` delays."""
        if self.shape is None:
            return np.full(size, self.mean)
        return rng.gamma(self.shape, self.mean / self.shape, size)

    @property
    def shortest(self) -> float:
        """The smallest delay this distribution can produce."""
        return self.mean if self.shape is None else 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Channel:
    """A stochastic reaction channel.

    ``change`` applies when the channel fires; ``delayed`` applies ``delay`` days later.
    ``order`` is the highest order of the rate law in any species (CGP 2006's g_i).
    ``component`` names the part of the model it belongs to: its tau-leaps draw from that
    part's random stream, so arms that differ in one part keep the others' leaps in step.
    Channels that name no part share one stream (each stream costs ~40 µs to create and
    hand to compiled code, per replicate: a stream per channel would slow small models
    down for no gain measured).
    """

    name: str
    change: Mapping[str, int]
    description: str
    delayed: Mapping[str, int] = field(default_factory=lambda: FrozenMap[int]())
    delay: Delay | None = None
    order: int = 1
    component: str = ""

    @classmethod
    def of(
        cls, name: str, change: Mapping[str, int], description: str, order: int = 1, *,
        component: str = "", delayed: Mapping[str, int] | None = None,
        delay: Delay | None = None,
    ) -> Channel:  # fmt: skip
        """A channel with its stoichiometry frozen (how every preset declares one)."""
        return cls(
            name=name, change=FrozenMap(change), description=description,
            delayed=FrozenMap(delayed or {}), delay=delay, order=order, component=component,
        )  # fmt: skip

    @property
    def stream(self) -> str:
        """The random stream its tau-leap firings are drawn from: its component's (a
        preset part, see :mod:`escapesim.engine.presets.escape2004.part`), else the one
        the channels without a component share."""
        return f"leap:{self.component}" if self.component else "leap"


@dataclass(frozen=True, kw_only=True, slots=True)
class MechanismSpec:
    """A biological mechanism a scenario can switch on or off.

    ``escape`` marks a mechanism by which the tumour escapes the immune response (the
    review's escape side): the ones an attribution ensemble knocks out for ``all``
    (:mod:`escapesim.engine.knockouts`).
    """

    name: str
    description: str
    enabled: bool = True
    escape: bool = False


class TherapyContext(Protocol):
    """What a therapy may do to a running replicate (implemented by the simulation)."""

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Run ``action`` at simulated day ``time``."""
        ...

    def count(self, name: str) -> float:
        """The current count of population ``name``."""
        ...

    def add_count(self, name: str, amount: float, counter: str) -> None:
        """Change population ``name`` by a whole ``amount`` and count it as ``counter``."""
        ...

    def level(self, name: str) -> float:
        """The current value of concentration ``name``."""
        ...

    def add_level(self, name: str, amount: float) -> None:
        """Change concentration ``name`` by ``amount``."""
        ...

    def random(self, component: str) -> np.random.Generator:
        """The named random stream of ``component`` in this replicate."""
        ...


class Administered(Protocol):
    """A scheduled therapy as the scenario gives it."""

    @property
    def kind(self) -> str: ...

    @property
    def at_days(self) -> tuple[float, ...]: ...

    @property
    def dose(self) -> float: ...

    @property
    def parameters(self) -> Mapping[str, float]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class TherapySpec:
    """An intervention given at listed times with a dose; ``give`` schedules its effects."""

    name: str
    description: str
    dose_unit: str
    dose_upper: float
    parameters: tuple[ParameterSpec, ...]
    give: Callable[[Administered, TherapyContext], None]

    def defaults(self) -> dict[str, float]:
        """Default value of every parameter of a dose (``Scenario.build`` fills them in)."""
        return {p.name: p.default for p in self.parameters}


#: ``(t, counts, levels, parameters)``: the state an event's trigger reads or it changes.
EventFunction = Callable[[float, FloatArray, FloatArray, FloatArray], object]


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelEvent:
    """A discontinuity the model itself defines (an SBML event), not a scenario's therapy.

    ``fire`` changes counts, levels or parameters in place. The event fires at day
    ``at(parameters)`` when its trigger is a time (kept on the calendar, exact), else
    whenever ``trigger`` turns from false to true, checked after every kernel step (see
    docs/sbml.md: at most one step late). ``initial_value`` is the trigger's value before
    the run (SBML's ``initialValue``): a trigger true at day 0 fires then only if false.
    """

    name: str
    fire: EventFunction
    at: Callable[[FloatArray], float] | None = None
    trigger: EventFunction | None = None
    initial_value: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class Profile:
    """A named parameter set (a species: ``mouse``, ``human``) a scenario may select.

    Its ``values`` replace the parameters' defaults; values a scenario gives still win.
    """

    name: str
    description: str
    values: FrozenMap[float]


@dataclass(frozen=True, kw_only=True)
class Network:
    """Species, concentrations, parameters and channels, and the factory of their rates."""

    name: str
    title: str
    citation: str
    splitting: str
    species: tuple[Species, ...]
    levels: tuple[Species, ...]
    parameters: tuple[ParameterSpec, ...]
    channels: tuple[Channel, ...]
    tumour: tuple[str, ...]
    bind: Callable[[Mapping[str, float], Mapping[str, bool]], CompiledKinetics]
    mechanisms: tuple[MechanismSpec, ...] = ()
    therapies: tuple[TherapySpec, ...] = ()
    events: tuple[ModelEvent, ...] = ()
    profiles: tuple[Profile, ...] = ()

    def __post_init__(self) -> None:
        names = {p.name for p in self.parameters}
        for c in self.channels:
            if c.delay is not None and c.delay.parameter not in (None, *names):
                raise ValueError(
                    f"channel {c.name!r}: its delay's parameter {c.delay.parameter!r} is not "
                    f"a parameter of {self.name}"
                )

    def delays(self, values: Mapping[str, float]) -> tuple[Delay | None, ...]:
        """Every channel's delay with the means ``values`` (bound parameters) give."""
        return tuple(c.delay and c.delay.bound(values) for c in self.channels)

    def profile(self, name: str) -> Profile | None:
        """The parameter profile called ``name``, if the network offers it."""
        return next((p for p in self.profiles if p.name == name), None)

    def therapy(self, name: str) -> TherapySpec | None:
        """The therapy called ``name``, if the network offers it."""
        return next((t for t in self.therapies if t.name == name), None)

    def parameter(self, name: str) -> ParameterSpec | None:
        """The parameter called ``name``, if the network has one."""
        return next((p for p in self.parameters if p.name == name), None)

    def state_variable(self, name: str) -> Species | None:
        """The population or concentration called ``name``, if the network has one."""
        return next((s for s in (*self.species, *self.levels) if s.name == name), None)

    def defaults(self) -> dict[str, float]:
        """Default value of every parameter."""
        return {p.name: p.default for p in self.parameters}

    def initial_state(self) -> dict[str, float]:
        """Default initial value of every population and concentration."""
        return {s.name: s.initial for s in (*self.species, *self.levels)}

    @functools.cached_property
    def stoichiometry(self) -> Stoichiometry:
        """The channels in index form, built once per network (read-only for its users)."""
        # Imported here: the index forms are built from this module's types.
        from escapesim.engine.stoichiometry import Stoichiometry

        return Stoichiometry.of(self)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of the network's structure (species, concentrations, parameters,
        channels with their changes, delays and streams, therapies): checkpoints taken on
        one network are refused by another."""
        channels = [
            [c.name, dict(c.change), dict(c.delayed), c.delay and _described(c.delay),
             c.order, c.stream]
            for c in self.channels
        ]  # fmt: skip
        described = [
            self.name, [s.name for s in self.species], [s.name for s in self.levels],
            [p.name for p in self.parameters], channels, list(self.tumour),
            [m.name for m in self.mechanisms], [t.name for t in self.therapies],
        ]  # fmt: skip
        return hashlib.sha256(json.dumps(described).encode()).hexdigest()


def _described(delay: Delay) -> list[object]:
    """A delay in a fingerprint (a delay no parameter sets reads as it always did)."""
    found: list[object] = [delay.mean, delay.shape]
    return found if delay.parameter is None else [*found, delay.parameter]


IntArray = npt.NDArray[np.int64]


def is_whole(value: float) -> bool:
    """True for finite values with no fractional part (populations are counts)."""
    return math.isfinite(value) and float(value).is_integer()
