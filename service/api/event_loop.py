"""The event loop the server runs on: uvloop where it exists, asyncio's own elsewhere.

gRPC's asyncio server spends most of a small unary call in the event loop itself; on
uvloop the server answers about a quarter more ``GetRun`` calls per second than on the
standard loop (``benchmarks/bench_service.py``), as it is CPU-bound on its one GIL.
uvloop has no Windows build, so there the standard loop is used.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


if sys.platform == "win32":
    _loop_factory = asyncio.new_event_loop
else:
    import uvloop

    _loop_factory = uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new loop (uvloop if available)."""
    with asyncio.Runner(loop_factory=_loop_factory) as runner:
        return runner.run(main)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new loop (uvloop if available), for a server run on a thread of its own."""
    return _loop_factory()
