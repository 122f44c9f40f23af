"""Server settings: ``ESCAPESIM_*`` environment variables and ``serve`` flags, validated.

Every setting has a working default (listen on 127.0.0.1:50051, data under ``./var``), can
be given as an environment variable, and can be overridden by a command-line flag. A bad
value is reported with the variable or flag that carried it, all problems at once.

Caps that keep one request from taking the server down (documented in the README):

========================  ===========================================  ==============
variable                  what it caps                                 default
========================  ===========================================  ==============
ESCAPESIM_MAX_REPLICATES  replicates of one run                        10 000
ESCAPESIM_MAX_RUN_ROWS    replicates x samples of one run              20 000 000
ESCAPESIM_MAX_SIMULATE_   replicates x samples of one ``Simulate``     100 000
FRAMES
ESCAPESIM_MAX_SIMULATE_   wall-clock seconds of one ``Simulate``       300
SECONDS
ESCAPESIM_MAX_HORIZON_    simulated days of a scenario                 36 500
DAYS
ESCAPESIM_MAX_POPULATION  any initial population                       1e15
ESCAPESIM_MAX_ANALYSIS_   replicates one calibration or sensitivity    2 000 000
SIMULATIONS               analysis may simulate
ESCAPESIM_MAX_MESSAGE_    size of a request message (at least the      4 MiB
BYTES                     largest request the message caps allow)
ESCAPESIM_MAX_CONCURRENT  service calls in progress at once (one      1000
_RPCS                     more is RESOURCE_EXHAUSTED; health checks
                          are not counted)
ESCAPESIM_MAX_SESSIONS    RunSession sessions open at once (one more   16
                          is RESOURCE_EXHAUSTED)
ESCAPESIM_SESSION_IDLE_   seconds a session waits for the client's     300
SECONDS                   next request (then DEADLINE_EXCEEDED)
========================  ===========================================  ==============

The caps on the fields of each request (map entries, list items, string lengths) are in
:mod:`escapesim.service.api.message_caps`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from escapesim.engine import FieldViolation, Scenario
from escapesim.service.api.growth import predicted_overflow

DEFAULT_ADDR = "127.0.0.1:50051"
PREFIX = "ESCAPESIM_"


class SettingsError(ValueError):
    """Settings that cannot be used; every problem names its variable or flag."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what one request may ask for."""

    max_replicates: int = 10_000
    max_run_rows: int = 20_000_000
    max_simulate_frames: int = 100_000
    max_simulate_seconds: float = 300.0
    max_horizon_days: float = 36_500.0
    max_population: float = 1e15
    max_message_bytes: int = 4 * 1024 * 1024
    #: The sensitivity spec's own ceiling (2e6), and ~2 CPU-days of escape2004 at its
    #: stop-at-outcome cost (0.1 s): an operator lowers it to bound one analysis's work.
    max_analysis_simulations: int = 2_000_000

    def check_run(self, scenario: Scenario) -> list[FieldViolation]:
        """Violations of the caps for a stored run of ``scenario`` (paths as in the scenario)."""
        return self._check_common(scenario) + _rows_within(
            scenario, self.max_run_rows, "this server's cap of {cap} rows per run"
        )

    def check_simulate(self, scenario: Scenario) -> list[FieldViolation]:
        """Violations of the caps for a ``Simulate`` call of ``scenario``."""
        return self._check_common(scenario) + _rows_within(
            scenario, self.max_simulate_frames,
            "the {cap} frames Simulate streams; create a run instead",
        )  # fmt: skip

    def check_analysis(self, simulations: int, field: str) -> list[FieldViolation]:
        """A ``field`` violation when an analysis may simulate more than this server's
        cap of replicates (``simulations``: its budget or design, in replicates)."""
        if simulations <= self.max_analysis_simulations:
            return []
        message = (f"allows {simulations} simulated replicates, more than this server's cap "
                   f"of {self.max_analysis_simulations}")  # fmt: skip
        return [FieldViolation(field, message)]

    def _check_common(self, scenario: Scenario) -> list[FieldViolation]:
        found = []
        if scenario.replicates > self.max_replicates:
            found.append(
                FieldViolation(
                    "replicates", f"must be at most {self.max_replicates} on this server"
                )
            )
        if scenario.horizon_days > self.max_horizon_days:
            found.append(
                FieldViolation(
                    "horizon_days", f"must be at most {self.max_horizon_days:g} on this server"
                )
            )
        counts = {s.name for s in scenario.network().species}
        for name, value in scenario.initial.items():
            if name in counts and value > self.max_population:
                found.append(
                    FieldViolation(
                        f"initial.{name}", f"must be at most {self.max_population:g} on this server"
                    )
                )
        return found + predicted_overflow(scenario, self.max_population)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``escapesim serve`` needs; build with :meth:`load`."""

    addr: str = DEFAULT_ADDR
    data: Path = Path("var")
    workers: int = field(default_factory=lambda: max(os.cpu_count() or 1, 1))
    max_concurrent_runs: int = field(default_factory=lambda: max(os.cpu_count() or 1, 1))
    max_queued_runs: int = 100
    simulate_workers: int = 2
    drain_seconds: float = 10.0
    tokens_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    log_level: str = "INFO"
    #: Serve a non-loopback address without tokens (see :mod:`escapesim.service.api.exposure`).
    insecure: bool = False
    max_concurrent_rpcs: int = 1000
    #: Interactive sessions open at once, and how long one waits for its client
    #: (:mod:`escapesim.service.api.sessions`).
    max_sessions: int = 16
    session_idle_seconds: float = 300.0
    #: Where to serve Prometheus metrics (``/metrics``); ``None``: not served.
    metrics_addr: str | None = None
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        flags: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Settings from ``environ`` (default ``os.environ``) overridden by ``flags``.

        ``flags`` maps setting names (``addr``, ``max_queued_runs``) to values given on
        the command line; ``None`` values mean "not given". Raises :class:`SettingsError`.
        """
        environ = os.environ if environ is None else environ
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in _SPECS:
            if spec.name in flags:
                raw, where = flags[spec.name], f"--{spec.name.replace('_', '-')}"
            elif spec.env in environ and environ[spec.env] != "":
                raw, where = environ[spec.env], spec.env
            else:
                continue
            try:
                values[spec.name] = spec.parse(str(raw))
            except ValueError as error:
                problems.append(f"{where}: {error} (got {str(raw)!r})")
        problems += _check_pairs(values)
        if problems:
            raise SettingsError(problems)
        limit_names = {f.name for f in fields(Limits)}
        limits = Limits(**{k: v for k, v in values.items() if k in limit_names})
        return cls(**{k: v for k, v in values.items() if k not in limit_names}, limits=limits)


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    parse: Callable[[str], Any]

    @property
    def env(self) -> str:
        return PREFIX + {"data": "DATA"}.get(self.name, self.name.upper())


def parse_address(raw: str) -> str:
    """``HOST:PORT`` (IPv6 as ``[::1]:PORT``); port 0 asks the OS for a free port."""
    host, colon, port = raw.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT with a port in [0, 65535]")
    return f"{host}:{int(port)}"


def _whole(lower: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip().replace("_", ""))
        except ValueError:
            raise ValueError(f"must be a whole number >= {lower}") from None
        if value < lower:
            raise ValueError(f"must be a whole number >= {lower}")
        return value

    return parse


def _positive(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a positive number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a positive number")
    return value


def _nonnegative(raw: str) -> float:
    if raw.strip() in ("0", "0.0"):
        return 0.0
    return _positive(raw)


def _path(raw: str) -> Path:
    if not raw.strip():
        raise ValueError("must be a path")
    return Path(raw)


def _existing_file(raw: str) -> Path:
    path = _path(raw)
    if not path.is_file():
        raise ValueError("must name a readable file")
    return path


def _switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError("must be 1/true/yes/on or 0/false/no/off")
    return value in ("1", "true", "yes", "on")


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


_SPECS = (
    _Spec("addr", parse_address),
    _Spec("data", _path),
    _Spec("workers", _whole(1)),
    _Spec("max_concurrent_runs", _whole(1)),
    _Spec("max_queued_runs", _whole(1)),
    _Spec("simulate_workers", _whole(1)),
    _Spec("drain_seconds", _nonnegative),
    _Spec("tokens_file", _existing_file),
    _Spec("tls_cert", _existing_file),
    _Spec("tls_key", _existing_file),
    _Spec("log_level", _log_level),
    _Spec("insecure", _switch),
    _Spec("max_concurrent_rpcs", _whole(16)),
    _Spec("metrics_addr", parse_address),
    _Spec("max_sessions", _whole(1)),
    _Spec("session_idle_seconds", _positive),
    _Spec("max_replicates", _whole(1)),
    _Spec("max_run_rows", _whole(1)),
    _Spec("max_simulate_frames", _whole(1)),
    _Spec("max_simulate_seconds", _positive),
    _Spec("max_horizon_days", _positive),
    _Spec("max_population", _positive),
    _Spec("max_message_bytes", _whole(64 * 1024)),
    _Spec("max_analysis_simulations", _whole(1)),
)


def _check_pairs(values: Mapping[str, Any]) -> list[str]:
    if ("tls_cert" in values) != ("tls_key" in values):
        return [f"{PREFIX}TLS_CERT / {PREFIX}TLS_KEY: give both (TLS) or neither (plaintext)"]
    return []


def _rows_within(scenario: Scenario, cap: int, what: str) -> list[FieldViolation]:
    """A ``replicates`` violation when replicates × samples exceeds ``cap`` (named by
    ``what``, with ``{cap}`` in it)."""
    rows = scenario.replicates * len(scenario.sample_times())
    if rows <= cap:
        return []
    message = f"replicates x samples is {rows}, more than {what.format(cap=cap)}"
    return [FieldViolation("replicates", message)]
