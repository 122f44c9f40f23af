"""The checks a scenario's values must pass, and the limits they are checked against.

Each check returns every problem it finds as a :class:`FieldViolation` naming the field,
so a scenario reports all its problems at once (:meth:`Scenario.build`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from escapesim.engine.errors import FieldViolation
from escapesim.engine.network import MAX_COUNT, Network, is_whole

if TYPE_CHECKING:
    from escapesim.engine.scenario import Therapy

#: Caps that keep one request from taking a server down (documented in the README).
MAX_HORIZON_DAYS = 36_500.0
MAX_SAMPLES = 200_000
MAX_REPLICATES = 100_000
MAX_SEED = 2**63 - 1
#: Checkpoints one replicate may keep (each holds the samples so far: docs/checkpoints.md).
MAX_CHECKPOINTS = 100
#: Characters of an SBML model a scenario may carry (BioModels' tumour-immune models are
#: 20-200 kB; the gRPC cap on Scenario.sbml is the same).
MAX_SBML_CHARS = 512_000
DEFAULT_ESCAPE_THRESHOLD = 1e9


def sample_times(horizon: float, interval: float, days: Sequence[float] = ()) -> list[float]:
    """Every ``interval`` from 0 to ``horizon`` (and the horizon); or, with ``days``,
    those days and the horizon (the final state every result reports)."""
    if days:
        return sorted({*map(float, days), float(horizon)})
    count = math.floor(horizon / interval + 1e-9)
    times = [i * interval for i in range(count + 1)]
    if horizon - times[-1] > 1e-9:
        times.append(horizon)
    return times


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def bounded(where: str, value: Any, lower: float, upper: float) -> list[FieldViolation]:
    if not is_number(value) or not math.isfinite(value):
        return [FieldViolation(where, "must be a finite number")]
    if not lower <= value <= upper:
        return [FieldViolation(where, f"must be within [{lower:g}, {upper:g}], got {value:g}")]
    return []


def check_parameters(net: Network, parameters: Mapping[str, Any]) -> list[FieldViolation]:
    violations = []
    for name, value in parameters.items():
        spec = net.parameter(name)
        if spec is None:
            violations.append(
                FieldViolation(f"parameters.{name}", f"unknown parameter of preset {net.name!r}")
            )
        else:
            violations += bounded(f"parameters.{name}", value, spec.lower, spec.upper)
    return violations


def check_initial(net: Network, initial: Mapping[str, Any]) -> list[FieldViolation]:
    violations = []
    counts = {s.name for s in net.species}
    for name, value in initial.items():
        where = f"initial.{name}"
        spec = net.state_variable(name)
        if spec is None:
            violations.append(FieldViolation(where, f"unknown species of preset {net.name!r}"))
            continue
        found = bounded(where, value, 0.0, spec.upper)
        if not found and name in counts and not is_whole(value):
            found = [FieldViolation(where, "must be a whole number of cells")]
        violations += found
    return violations


def check_mechanisms(net: Network, mechanisms: Mapping[str, Any]) -> list[FieldViolation]:
    known = {m.name for m in net.mechanisms}
    violations = []
    for name, value in mechanisms.items():
        if name not in known:
            violations.append(
                FieldViolation(f"mechanisms.{name}", f"unknown mechanism of preset {net.name!r}")
            )
        elif not isinstance(value, bool):
            violations.append(FieldViolation(f"mechanisms.{name}", "must be true or false"))
    return violations


def check_clock(
    horizon: Any, interval: Any, seed: Any, replicates: Any, threshold: Any
) -> list[FieldViolation]:
    violations = bounded("horizon_days", horizon, 0.0, MAX_HORIZON_DAYS)
    if not violations and horizon <= 0:
        violations.append(FieldViolation("horizon_days", "must be > 0"))
    found = bounded("interval_days", interval, 0.0, MAX_HORIZON_DAYS)
    if not found and interval <= 0:
        found = [FieldViolation("interval_days", "must be > 0")]
    if not found and not violations and horizon / interval > MAX_SAMPLES:
        found = [FieldViolation("interval_days", f"gives more than {MAX_SAMPLES} samples")]
    violations += found
    if not is_integer(seed) or not 0 <= seed <= MAX_SEED:
        violations.append(FieldViolation("seed", f"must be a whole number in [0, {MAX_SEED}]"))
    if not is_integer(replicates) or not 1 <= replicates <= MAX_REPLICATES:
        violations.append(
            FieldViolation("replicates", f"must be a whole number in [1, {MAX_REPLICATES}]")
        )
    found = bounded("escape_threshold", threshold, 0.0, MAX_COUNT)
    if not found and threshold < 1:
        found = [FieldViolation("escape_threshold", "must be >= 1 cell")]
    return violations + found


def check_therapies(
    net: Network, therapies: Sequence[Therapy], horizon: Any
) -> list[FieldViolation]:
    violations = []
    limit = horizon if is_number(horizon) and math.isfinite(horizon) else MAX_HORIZON_DAYS
    for i, therapy in enumerate(therapies):
        where = f"therapies[{i}]"
        spec = net.therapy(therapy.kind)
        if spec is None:
            offered = ", ".join(t.name for t in net.therapies) or "none"
            violations.append(
                FieldViolation(
                    f"{where}.kind", f"unknown therapy {therapy.kind!r} (offered: {offered})"
                )
            )
            continue
        if not therapy.at_days:
            violations.append(FieldViolation(f"{where}.at_days", "must list at least one day"))
        for k, day in enumerate(therapy.at_days):
            violations += bounded(f"{where}.at_days[{k}]", day, 0.0, limit)
        violations += bounded(f"{where}.dose", therapy.dose, 0.0, spec.dose_upper)
        for name, value in therapy.parameters.items():
            param = next((p for p in spec.parameters if p.name == name), None)
            if param is None:
                violations.append(FieldViolation(f"{where}.parameters.{name}", "unknown parameter"))
            else:
                violations += bounded(
                    f"{where}.parameters.{name}", value, param.lower, param.upper
                )
    return violations


def check_sample_days(days: Any, horizon: Any) -> list[FieldViolation]:
    """Sampling days lie within the run (a day after the horizon would never come)."""
    if len(days) > MAX_SAMPLES:
        return [FieldViolation("sample_days", f"at most {MAX_SAMPLES} days")]
    limit = horizon if is_number(horizon) and math.isfinite(horizon) else MAX_HORIZON_DAYS
    violations = []
    for k, day in enumerate(days):
        violations += bounded(f"sample_days[{k}]", day, 0.0, limit)
    return violations


def check_checkpoint_days(
    days: Any, horizon: Any, interval: Any, sampled: Sequence[float] = ()
) -> list[FieldViolation]:
    """Checkpoints follow a sample: the kernel's state is exactly at a calendar event only
    (a stop anywhere else would split a step and change the run it checkpoints)."""
    if len(days) > MAX_CHECKPOINTS:
        return [FieldViolation("checkpoint_days", f"at most {MAX_CHECKPOINTS} days")]
    clock_ok = not check_clock(horizon, interval, 0, 1, DEFAULT_ESCAPE_THRESHOLD)
    sampled_ok = clock_ok and not check_sample_days(sampled, horizon)
    times = sample_times(horizon, interval, sampled) if sampled_ok and days else [0.0]
    samples = set(times[:-1])
    violations = []
    for k, day in enumerate(days):
        where = f"checkpoint_days[{k}]"
        found = bounded(where, day, 0.0, MAX_HORIZON_DAYS)
        if not found and sampled_ok and day not in samples:
            grid = "one of sample_days" if sampled else f"a multiple of interval_days {interval:g}"
            found = [
                FieldViolation(
                    where, f"must be a sampling day ({grid}) before horizon_days {horizon:g}"
                )
            ]  # fmt: skip
        violations += found
    return violations


def check_profile(net: Network, profile: str) -> list[FieldViolation]:
    """The profile, if one is named, is one the network offers."""
    if not profile:
        return []
    if not net.profiles:
        return [FieldViolation("profile", f"preset {net.name!r} has no profiles")]
    if net.profile(profile) is None:
        offered = ", ".join(p.name for p in net.profiles)
        message = f"unknown profile {profile!r}; {net.name} offers {offered}"
        return [FieldViolation("profile", message)]
    return []
