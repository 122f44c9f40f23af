"""The event loop the server runs on: uvloop where it exists, asyncio's own elsewhere.

gRPC's asyncio server spends most of a small unary call in the event loop itself; on
uvloop a trivial ``GetRun`` costs about a quarter less server CPU than on the standard
loop (``benchmarks/bench_service.py``), and the server is CPU-bound on its one GIL.
uvloop has no Windows build, so there the standard loop is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

try:
    import uvloop
except ImportError:  # pragma: no cover - Windows, where uvloop is not installed
    uvloop = None  # type: ignore[assignment]


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new loop (uvloop if available)."""
    if uvloop is not None:
        return uvloop.run(main)
    return asyncio.run(main)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new loop (uvloop if available), for a server run on a thread of its own."""
    if uvloop is not None:
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()
