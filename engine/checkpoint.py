"""A replicate's whole state at the start of a sampling day, and its versioned byte form.

A :class:`Checkpoint` holds everything continuing needs: the clock, counts and
concentrations, delayed products in flight with their due times, the rest of the
calendar (samples, deliveries, the kinetics' next resumption; doses are rebuilt from the
scenario, see :mod:`escapesim.engine.fork`), the state of every random stream, the event
counters, the samples so far and the outcome, if decided, and the kernel's probe memory
(:mod:`escapesim.engine.leap_size`: the leap bound's Jacobian probes, reused across
steps, so the continuation leaps as the uninterrupted run does).

The byte form is a magic tag, a format version, a JSON header (scalars, the scenario,
the calendar, stream states: Python's JSON writes floats by their shortest round-trip
repr and integers exactly, so nothing is rounded) and the arrays' raw little-endian
bytes. It is not a pickle: bytes from a store or a client cannot run code when read.
It records the escapesim and numpy versions (numpy's samplers draw the random numbers)
and the network's fingerprint, and :func:`check_compatible` refuses a checkpoint from
another network or other versions, saying which.
"""

from __future__ import annotations

import functools
import json
import struct
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from escapesim.engine.calendar import Entry
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.kernel import KernelSettings
from escapesim.engine.network import FloatArray, IntArray, Network
from escapesim.engine.record import Outcome, OutcomeKind, software_versions
from escapesim.engine.scenario import Scenario

MAGIC = b"ESCK"
#: Bumped whenever the byte form or what a checkpoint holds changes.
FORMAT = 2  # 2: the kernel's probe memory
_PREFIX = struct.Struct("<4sHI")  # magic, format, header length
#: The versions a continuation must share with the run that was checkpointed.
_VERSIONED = ("escapesim", "numpy")
_ARRAYS = {
    "samples": np.float64, "counts": np.float64, "levels": np.float64,
    "fired": np.int64, "step_ends": np.int64, "arrived": np.int64, "probes": np.float64,
}  # fmt: skip


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or continued here; the message says why."""


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class Checkpoint:
    """One replicate's state at the start of ``day``: every event due before it has
    happened, none due on it (see module docstring).

    ``pending`` holds delayed products in flight: (channel, due day, products).
    ``streams`` maps each random stream's component name to its bit generator's state.
    ``now`` is SimPy's clock: the time of the last event before ``day``.
    ``forked_from`` is the parent scenario and day of a forked replicate.
    ``probes`` is the kernel's probe memory (``Kernel.probes``).
    """

    scenario: Scenario
    replicate: int
    settings: KernelSettings
    day: float
    now: float
    samples: npt.NDArray[np.float64]
    counts: FloatArray
    levels: FloatArray
    fired: IntArray
    step_ends: IntArray
    arrived: IntArray
    probes: FloatArray
    extra: FrozenMap[int]
    outcome: Outcome | None
    pending: tuple[tuple[int, float, int], ...]
    calendar: tuple[Entry, ...]
    streams: FrozenMap[dict[str, Any]]
    fingerprint: str
    versions: FrozenMap[str]
    forked_from: tuple[Scenario, float] | None = None

    def to_bytes(self) -> bytes:
        """The versioned byte form (see module docstring)."""
        arrays = [np.ascontiguousarray(getattr(self, n), dtype=d) for n, d in _ARRAYS.items()]
        header = json.dumps(
            {
                "scenario": self.scenario.to_dict(),
                "replicate": self.replicate,
                "settings": asdict(self.settings),
                "day": self.day,
                "now": self.now,
                "forked_from": None
                if self.forked_from is None
                else [self.forked_from[0].to_dict(), self.forked_from[1]],
                "extra": dict(self.extra),
                "outcome": None if self.outcome is None else [self.outcome.kind, self.outcome.time],
                "pending": self.pending,
                "calendar": [[e.time, e.kind, e.index, e.due] for e in self.calendar],
                "streams": dict(self.streams),
                "fingerprint": self.fingerprint,
                "versions": dict(self.versions),
                "shapes": {n: a.shape for n, a in zip(_ARRAYS, arrays, strict=True)},
            },
            separators=(",", ":"),
        ).encode()
        body = b"".join(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes() for a in arrays)
        return _PREFIX.pack(MAGIC, FORMAT, len(header)) + header + body

    @classmethod
    def from_bytes(cls, data: bytes) -> Checkpoint:
        """Read the byte form; raises :class:`CheckpointError` naming what is wrong."""
        if len(data) < _PREFIX.size:
            raise CheckpointError("checkpoint: too short to be a checkpoint")
        magic, version, length = _PREFIX.unpack_from(data)
        if magic != MAGIC:
            raise CheckpointError("checkpoint: not an escapesim checkpoint (bad magic bytes)")
        if version != FORMAT:
            raise CheckpointError(
                f"checkpoint: format {version} is not this engine's format {FORMAT}"
            )
        try:
            header = json.loads(data[_PREFIX.size : _PREFIX.size + length])
            arrays = _read_arrays(memoryview(data)[_PREFIX.size + length :], header["shapes"])
            return _from_header(header, arrays)
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"checkpoint: damaged or incomplete ({error})") from error


def check_compatible(checkpoint: Checkpoint, network: Network) -> None:
    """Refuse a checkpoint that this engine and ``network`` cannot continue exactly."""
    if checkpoint.fingerprint != network.fingerprint:
        raise CheckpointError(
            f"checkpoint: taken on another network than {network.name!r} "
            "(species, parameters, channels or therapies differ)"
        )
    here = software_versions()
    for package in _VERSIONED:
        theirs, ours = checkpoint.versions.get(package), here.get(package)
        if theirs != ours:
            raise CheckpointError(
                f"checkpoint: written by {package} {theirs}, this is {package} {ours}: "
                "the continuation would not be exact"
            )


def _read_arrays(body: memoryview, shapes: Mapping[str, list[int]]) -> dict[str, Any]:
    arrays, offset = {}, 0
    for name, dtype in _ARRAYS.items():
        shape = tuple(int(n) for n in shapes[name])
        size = int(np.prod(shape, dtype=np.int64)) * 8
        if offset + size > len(body):
            raise ValueError(f"array {name} is cut short")
        raw = np.frombuffer(body[offset : offset + size], dtype=np.dtype(dtype).newbyteorder("<"))
        arrays[name] = raw.astype(dtype).reshape(shape)  # a native, writable copy
        offset += size
    return arrays


def _scenario(data: dict[str, Any]) -> Scenario:
    """The validated scenario of a header (see :func:`_validated`)."""
    return _validated(json.dumps(data, sort_keys=True, separators=(",", ":")))


@functools.lru_cache(maxsize=256)
def _validated(text: str) -> Scenario:
    # The checkpoints of a stored run, and every fork of one, share their scenario:
    # validating it once saves most of reading a checkpoint (scenarios are immutable).
    return Scenario.from_dict(json.loads(text))


def _from_header(header: dict[str, Any], arrays: dict[str, Any]) -> Checkpoint:
    outcome, parent = header["outcome"], header["forked_from"]
    return Checkpoint(
        scenario=_scenario(header["scenario"]),
        replicate=int(header["replicate"]),
        settings=KernelSettings(**header["settings"]),
        day=float(header["day"]),
        now=float(header["now"]),
        forked_from=None if parent is None else (_scenario(parent[0]), float(parent[1])),
        extra=FrozenMap({str(k): int(v) for k, v in header["extra"].items()}),
        outcome=None if outcome is None else Outcome(OutcomeKind(outcome[0]), outcome[1]),
        pending=tuple((int(c), float(d), int(n)) for c, d, n in header["pending"]),
        calendar=tuple(
            Entry(float(t), str(k), int(i), float(d)) for t, k, i, d in header["calendar"]
        ),
        streams=FrozenMap(header["streams"]),
        fingerprint=str(header["fingerprint"]),
        versions=FrozenMap({str(k): str(v) for k, v in header["versions"].items()}),
        **arrays,
    )
