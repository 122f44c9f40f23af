"""Saying so while the simulation kernel compiles: a machine's first run is not a hang.

numba compiles the kernel loop and every preset's rate laws on a machine's first run
(40 s to over 2 minutes on a busy 2-core machine) and loads them from its disk cache in
about a second afterwards. :func:`kernel_notice` listens for numba's own "compiling"
event (:func:`escapesim.engine.compiled.compiling`), so it speaks only when numba really
compiles — a warm start prints nothing, however slow a busy machine makes the load — and
says what is happening as it happens: a spinner with the seconds so far on a terminal,
plain lines on a pipe.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

from escapesim.engine.compiled import compiling

#: A compile that is over within this long is not worth a line (a small helper).
GRACE_SECONDS = 1.0

#: How often the terminal spinner redraws.
SPIN_SECONDS = 0.25

COMPILING = "compiling the simulation kernel once (about a minute; later starts load it from disk)"

_FRAMES = "|/-\\"


@contextlib.contextmanager
def kernel_notice(
    stream: TextIO | None = None, *, grace_seconds: float = GRACE_SECONDS
) -> Iterator[None]:
    """Run the body (which loads or compiles the kernel) and, if numba compiles in it for
    longer than ``grace_seconds``, tell ``stream`` (default: standard error) so, and
    again when the body is done.

    On a terminal the notice is one line with a spinner and the elapsed seconds; on a pipe
    it is one line when compiling starts and one when the body ends, so logs stay readable.
    """
    out = sys.stderr if stream is None else stream
    started = time.monotonic()
    began, done, spoke = threading.Event(), threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(out, began, done, spoke, started, grace_seconds), daemon=True,
        name="kernel-notice",
    )  # fmt: skip
    watcher.start()
    try:
        with compiling(began.set):
            yield
    finally:
        done.set()
        watcher.join()
        if spoke.is_set():
            seconds = time.monotonic() - started
            end = "\r\033[K" if _is_terminal(out) else ""
            print(f"{end}simulation kernel compiled in {seconds:.0f} s "
                  "(kept in numba's disk cache)", file=out, flush=True)  # fmt: skip


def _watch(
    out: TextIO, began: threading.Event, done: threading.Event, spoke: threading.Event,
    started: float, grace: float,
) -> None:  # fmt: skip
    """The notice's thread: waits for a compile, then shows the notice until ``done``."""
    while not began.wait(SPIN_SECONDS):
        if done.is_set():
            return
    if done.wait(grace):
        return
    spoke.set()
    if not _is_terminal(out):
        print(f"{COMPILING}…", file=out, flush=True)
        return
    for frame in itertools.cycle(_FRAMES):
        seconds = time.monotonic() - started
        out.write(f"\r{frame} {COMPILING}… {seconds:.0f} s")
        out.flush()
        if done.wait(SPIN_SECONDS):
            return


def _is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())
