"""Start-up says what it is doing: the compile notice, ``escapesim warm``, the SERVING line,
and a store written before runs had a first replicate still opens."""

from __future__ import annotations

import io
import sqlite3
import time
from pathlib import Path

import numba
import pytest

from escapesim import engine
from escapesim.service.api.server import announce
from escapesim.service.cli import main as escapesim
from escapesim.service.cli.kernel_notice import COMPILING, kernel_notice
from escapesim.service.store.database import Store
from escapesim.service.store.run_record import Run
from escapesim.service.store.run_rows import SCHEMA_VERSION
from escapesim.service.testing import READY_PREFIX


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def compile_something_new() -> None:
    """A real compile of a function numba has never seen (no disk cache), named as the
    engine's own (the notice ignores numba's uncached helpers), then some work."""

    def add_one(x: float) -> float:
        return x + 1.0

    add_one.__module__ = "escapesim.engine.probe_for_tests"
    numba.njit(add_one)(1.0)
    time.sleep(0.6)


def test_numba_helpers_that_compile_in_every_process_are_not_announced() -> None:
    out = io.StringIO()
    def nameless(x: float) -> float:
        return x * 2.0

    nameless.__module__ = None  # type: ignore[assignment]  # as numba's generated code
    with kernel_notice(out, grace_seconds=0.0):
        numba.njit(lambda x: x + 1.0)(1.0)  # a function outside escapesim
        numba.njit(nameless)(1.0)
        time.sleep(0.6)
    assert out.getvalue() == ""


def test_a_load_from_the_cache_prints_nothing_however_long_it_takes() -> None:
    out = io.StringIO()
    with kernel_notice(out, grace_seconds=0.0):
        time.sleep(0.6)  # slow, but nothing compiles
    assert out.getvalue() == ""


def test_a_compile_is_announced_in_plain_lines_on_a_pipe() -> None:
    out = io.StringIO()
    with kernel_notice(out, grace_seconds=0.0):
        compile_something_new()
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{COMPILING}…"
    assert lines[1].startswith("simulation kernel compiled in ")
    assert len(lines) == 2
    assert "\r" not in out.getvalue()


def test_a_compile_spins_on_a_terminal_and_clears_the_line() -> None:
    out = Terminal()
    with kernel_notice(out, grace_seconds=0.0):
        compile_something_new()
    text = out.getvalue()
    assert text.count(f"{COMPILING}…") >= 2, "the spinner redraws with the seconds so far"
    assert "\r\033[K" in text
    assert text.endswith("(kept in numba's disk cache)\n")


def test_a_short_compile_within_the_grace_says_nothing() -> None:
    out = io.StringIO()
    with kernel_notice(out, grace_seconds=30.0):
        compile_something_new()
    assert out.getvalue() == ""


def test_warm_loads_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert escapesim(["warm"]) == 0
    assert "simulation kernel ready for every preset" in capsys.readouterr().err


def test_the_ready_line_says_serving_and_the_plugin_reads_its_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    announce("127.0.0.1:4321")
    line = capsys.readouterr().out
    assert line.startswith(READY_PREFIX)
    assert "SERVING" in line
    assert line.removeprefix(READY_PREFIX).split()[0] == "127.0.0.1:4321"


def test_a_store_from_before_first_replicates_opens_and_keeps_its_runs(tmp_path: Path) -> None:
    scenario = engine.Scenario.build(preset="birth_death", horizon_days=1.0)
    store = Store(tmp_path)
    store.insert(Run.queued("old-run", None, scenario), 1)
    store.close()
    # Make it a version-1 store: no first_replicate (version 2), outcomes (3) or
    # forked_from (4) column.
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:
        db.execute("ALTER TABLE runs DROP COLUMN first_replicate")
        db.execute("ALTER TABLE runs DROP COLUMN outcomes")
        db.execute("ALTER TABLE runs DROP COLUMN forked_from")
        db.execute("PRAGMA user_version=1")
    reopened = Store(tmp_path)
    try:
        old = reopened.get("old-run")
        assert old is not None
        assert old.first_replicate == 0
        reopened.insert(Run.queued("new-run", None, scenario, first_replicate=7), 1)
        new = reopened.get("new-run")
        assert new is not None
        assert new.first_replicate == 7
    finally:
        reopened.close()
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
