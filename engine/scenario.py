"""Scenarios: immutable, validated descriptions of what to simulate.

A scenario cannot be built invalid: :meth:`Scenario.build` checks every field against its
preset and raises :class:`ScenarioError` listing every violation with its field path
(``parameters.s``, ``therapies[1].at_days[0]``). The dictionary form (:meth:`to_dict`,
:meth:`from_dict`) is the scenario file format and mirrors the gRPC ``Scenario`` message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Network
from escapesim.engine.population import Population
from escapesim.engine.population_file import parse as parse_population
from escapesim.engine.presets import network as preset_network
from escapesim.engine.sbml import SbmlError, load_text
from escapesim.engine.scenario_checks import (
    DEFAULT_ESCAPE_THRESHOLD,
    MAX_SBML_CHARS,
    check_checkpoint_days,
    check_clock,
    check_initial,
    check_mechanisms,
    check_parameters,
    check_profile,
    check_sample_days,
    check_therapies,
    is_integer,
    is_number,
    sample_times,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Therapy:
    """A therapy given at listed days with a dose (units are the therapy's own)."""

    kind: str
    at_days: tuple[float, ...]
    dose: float = 1.0
    parameters: FrozenMap[float] = field(default_factory=FrozenMap)


@dataclass(frozen=True, kw_only=True, slots=True)
class Scenario:
    """What to simulate: a preset with its parameters, initial state, therapies and clock.

    ``parameters`` and ``initial`` hold every value (defaults filled in), so a scenario
    alone re-runs a result exactly. ``exact`` runs every channel by Gillespie's direct
    method (no leaps; see :class:`escapesim.engine.KernelSettings`): the exact law, at
    the cost of one step per event. Build one with :meth:`build`. With ``sbml`` (the text
    of an SBML document) the network is that model's and ``preset`` is its id.
    ``checkpoint_days``: sampling days (before the horizon) at whose start each replicate
    keeps a checkpoint (:class:`~escapesim.engine.checkpoint.Checkpoint`) to fork from.
    ``profile``: a named parameter set of the preset (``mouse``, ``human``; "" for none)
    whose values replace the defaults before ``parameters`` are applied.
    ``stop_at_outcome`` ends a replicate once its outcome is decided (later samples hold
    the state at the stop: :mod:`escapesim.engine.outcome_watch`); ``sample_days``, if
    given, are the only days sampled (with the horizon) instead of every interval.
    ``population``: replicate k's values of some parameters are drawn from it
    (:mod:`escapesim.engine.population`); see :meth:`replicate_parameters`.
    """

    preset: str
    parameters: FrozenMap[float]
    initial: FrozenMap[float]
    mechanisms: FrozenMap[bool] = field(default_factory=FrozenMap)
    therapies: tuple[Therapy, ...] = ()
    horizon_days: float = 365.0
    interval_days: float = 1.0
    seed: int = 0
    replicates: int = 1
    escape_threshold: float = DEFAULT_ESCAPE_THRESHOLD
    checkpoint_days: tuple[float, ...] = ()
    sbml: str = ""
    exact: bool = False
    profile: str = ""
    stop_at_outcome: bool = False
    sample_days: tuple[float, ...] = ()
    population: Population | None = None

    @classmethod
    def build(
        cls,
        *,
        preset: str,
        parameters: Mapping[str, float] | None = None,
        initial: Mapping[str, float] | None = None,
        mechanisms: Mapping[str, bool] | None = None,
        therapies: Sequence[Therapy] = (),
        horizon_days: float = 365.0,
        interval_days: float = 1.0,
        seed: int = 0,
        replicates: int = 1,
        escape_threshold: float = DEFAULT_ESCAPE_THRESHOLD,
        checkpoint_days: Sequence[float] = (),
        sbml: str = "",
        exact: bool = False,
        profile: str = "",
        stop_at_outcome: bool = False,
        sample_days: Sequence[float] = (),
        population: Mapping[str, Any] | Population | None = None,
    ) -> Scenario:
        """Validate and build a scenario; unset parameters, initial values, mechanism
        switches and therapy parameters get their defaults (the profile's values, if it
        names one, in place of the parameters' defaults).

        Raises :class:`ScenarioError` naming every field that is wrong.
        """
        net = _network_of(preset, sbml)
        parameters, initial, mechanisms = parameters or {}, initial or {}, mechanisms or {}
        violations = [
            *check_profile(net, profile),
            *check_parameters(net, parameters),
            *check_initial(net, initial),
            *check_mechanisms(net, mechanisms),
            *check_clock(horizon_days, interval_days, seed, replicates, escape_threshold),
            *check_therapies(net, therapies, horizon_days),
            *check_sample_days(sample_days, horizon_days),
            *check_checkpoint_days(checkpoint_days, horizon_days, interval_days, sample_days),
        ]
        if isinstance(population, Population):
            population = population.to_dict()
        drawn, found = parse_population(population, net)
        violations += found
        if violations:
            raise ScenarioError(violations)
        chosen = net.profile(profile) if profile else None
        return cls(
            preset=net.name,
            parameters=FrozenMap(
                {
                    **net.defaults(),
                    **(chosen.values if chosen else {}),
                    **{k: float(v) for k, v in parameters.items()},
                }
            ),
            initial=FrozenMap({**net.initial_state(), **{k: float(v) for k, v in initial.items()}}),
            mechanisms=FrozenMap(
                {**{m.name: m.enabled for m in net.mechanisms}, **dict(mechanisms)}
            ),
            therapies=tuple(_with_defaults(net, t) for t in therapies),
            horizon_days=float(horizon_days),
            interval_days=float(interval_days),
            seed=int(seed),
            replicates=int(replicates),
            escape_threshold=float(escape_threshold),
            checkpoint_days=tuple(sorted({float(d) for d in checkpoint_days})),
            sbml=sbml,
            exact=bool(exact),
            profile=profile,
            stop_at_outcome=bool(stop_at_outcome),
            sample_days=tuple(sorted({float(d) for d in sample_days})),
            population=drawn,
        )

    def replicate_parameters(self, replicate: int) -> FrozenMap[float]:
        """Replicate ``replicate``'s parameters: :attr:`parameters` with the population's
        draw for (seed, replicate) in place (the same in every arm of an ensemble)."""
        if self.population is None:
            return self.parameters
        net = self.network()
        bounds = {}
        for name in self.population.parameters:
            spec = net.parameter(name)
            assert spec is not None, "a built population names only the network's parameters"
            bounds[name] = (spec.lower, spec.upper)
        drawn = self.population.draw(self.seed, replicate, bounds)
        return FrozenMap({**self.parameters, **drawn})

    def network(self) -> Network:
        """The preset's network (or the SBML model's)."""
        net = load_text(self.sbml) if self.sbml else preset_network(self.preset)
        assert net is not None, "a built scenario always names a known preset"
        return net

    def sample_times(self) -> list[float]:
        """The sampling times: 0, interval, 2·interval, ... up to and including the
        horizon; with ``sample_days``, those days and the horizon."""
        return sample_times(self.horizon_days, self.interval_days, self.sample_days)

    def to_dict(self) -> dict[str, Any]:
        """The scenario file form (and the shape of the gRPC message)."""
        return {
            "preset": self.preset,
            "parameters": dict(self.parameters),
            "initial": dict(self.initial),
            "mechanisms": dict(self.mechanisms),
            "therapies": [_therapy_form(t) for t in self.therapies],
            "horizon_days": self.horizon_days,
            "interval_days": self.interval_days,
            "seed": self.seed,
            "replicates": self.replicates,
            "escape_threshold": self.escape_threshold,
            "checkpoint_days": list(self.checkpoint_days),
            **({"sbml": self.sbml} if self.sbml else {}),
            "exact": self.exact,
            **({"profile": self.profile} if self.profile else {}),
            # Only when set: a default scenario's file (and stored metadata) is unchanged.
            **({"stop_at_outcome": True} if self.stop_at_outcome else {}),
            **({"sample_days": list(self.sample_days)} if self.sample_days else {}),
            **({"population": self.population.to_dict()} if self.population else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from the file form; unknown keys and wrong types are violations too."""
        return cls.build(**_arguments(data))

    def with_changes(self, **changes: Any) -> Scenario:
        """A validated copy with some fields replaced (e.g. ``seed=``, ``replicates=``;
        ``therapies`` as :class:`Therapy` objects or in the file form); every other field
        is kept. (Copies that listed the fields by hand went stale twice, dropping a
        population's patients and the stop-at-outcome mode: use this one.)"""
        if "therapies" in changes:
            changes["therapies"] = [
                _therapy_form(t) if isinstance(t, Therapy) else t for t in changes["therapies"]
            ]
        return Scenario.from_dict({**self.to_dict(), **changes})


def _therapy_form(therapy: Therapy) -> dict[str, Any]:
    """A therapy in the scenario file form."""
    return {
        "kind": therapy.kind,
        "at_days": list(therapy.at_days),
        "dose": therapy.dose,
        "parameters": dict(therapy.parameters),
    }


def _network_of(preset: str, sbml: Any) -> Network:
    """The scenario's network: its SBML model's if it has one, else the preset's."""
    if not sbml:
        net = preset_network(preset)
        if net is None:
            raise ScenarioError([FieldViolation("preset", f"unknown preset {preset!r}")])
        return net
    if not isinstance(sbml, str):
        raise ScenarioError([FieldViolation("sbml", "must be the text of an SBML document")])
    if len(sbml) > MAX_SBML_CHARS:
        raise ScenarioError([FieldViolation("sbml", f"longer than {MAX_SBML_CHARS} characters")])
    try:
        net = load_text(sbml)
    except SbmlError as error:
        raise ScenarioError([FieldViolation("sbml", p) for p in error.problems]) from error
    if preset and preset != net.name:
        message = f"must be empty or the SBML model's id {net.name!r} (got {preset!r})"
        raise ScenarioError([FieldViolation("preset", message)])
    return net


def _with_defaults(net: Network, therapy: Therapy) -> Therapy:
    """``therapy`` with every parameter its kind offers (defaults for those not given)."""
    spec = net.therapy(therapy.kind)
    assert spec is not None, "checked therapies name only offered kinds"
    given = {k: float(v) for k, v in therapy.parameters.items()}
    return replace(therapy, parameters=FrozenMap({**spec.defaults(), **given}))


_KNOWN_KEYS = {
    "preset", "parameters", "initial", "mechanisms", "therapies", "horizon_days",
    "interval_days", "seed", "replicates", "escape_threshold", "checkpoint_days",
    "sbml", "exact", "profile", "stop_at_outcome", "sample_days", "population",
}  # fmt: skip


def _arguments(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ScenarioError([FieldViolation("scenario", "must be a mapping of fields")])
    violations = [FieldViolation(str(k), "unknown field") for k in data if k not in _KNOWN_KEYS]
    if "preset" not in data and not data.get("sbml"):
        violations.append(FieldViolation("preset", "is required"))
    args: dict[str, Any] = {k: data[k] for k in _KNOWN_KEYS & set(data)}
    args.setdefault("preset", "")
    for name in ("parameters", "initial", "mechanisms"):
        if name in args and not isinstance(args[name], Mapping):
            violations.append(FieldViolation(name, "must be a mapping of names to values"))
    for name in ("horizon_days", "interval_days", "escape_threshold"):
        if name in args and not is_number(args[name]):
            violations.append(FieldViolation(name, "must be a number"))
    for name in ("seed", "replicates"):
        if name in args and not is_integer(args[name]):
            violations.append(FieldViolation(name, "must be a whole number"))
    days = args.get("checkpoint_days", [])
    if not isinstance(days, Sequence) or isinstance(days, str) or not all(map(is_number, days)):
        violations.append(FieldViolation("checkpoint_days", "must be a list of numbers"))
    if "profile" in args and not isinstance(args["profile"], str):
        violations.append(FieldViolation("profile", "must be a profile's name (a string)"))
    for name in ("exact", "stop_at_outcome"):
        if name in args and not isinstance(args[name], bool):
            violations.append(FieldViolation(name, "must be true or false"))
    days = args.get("sample_days", [])
    if not isinstance(days, Sequence) or isinstance(days, str) or not all(map(is_number, days)):
        violations.append(FieldViolation("sample_days", "must be a list of numbers"))
    therapies, therapy_violations = _parse_therapies(args.get("therapies", []))
    violations += therapy_violations
    if violations:
        raise ScenarioError(violations)
    args["therapies"] = therapies
    return args


def _parse_therapies(raw: Any) -> tuple[list[Therapy], list[FieldViolation]]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return [], [FieldViolation("therapies", "must be a list")]
    therapies, violations = [], []
    for i, item in enumerate(raw):
        where = f"therapies[{i}]"
        if not isinstance(item, Mapping):
            violations.append(FieldViolation(where, "must be a mapping"))
            continue
        unknown = set(item) - {"kind", "at_days", "dose", "parameters"}
        violations += [FieldViolation(f"{where}.{k}", "unknown field") for k in sorted(unknown)]
        at_days = item.get("at_days", [])
        if not isinstance(at_days, Sequence) or not all(is_number(d) for d in at_days):
            violations.append(FieldViolation(f"{where}.at_days", "must be a list of numbers"))
            continue
        if not is_number(item.get("dose", 1.0)):
            violations.append(FieldViolation(f"{where}.dose", "must be a number"))
            continue
        extra = item.get("parameters", {})
        if not isinstance(extra, Mapping):
            violations.append(FieldViolation(f"{where}.parameters", "must be a mapping"))
            continue
        therapies.append(
            Therapy(
                kind=str(item.get("kind", "")),
                at_days=tuple(float(d) for d in at_days),
                dose=float(item.get("dose", 1.0)),
                parameters=FrozenMap(extra),
            )
        )
    return therapies, violations
