"""Which executor a server uses: ``ESCAPESIM_EXECUTOR`` (``local`` or ``dask``).

``local`` (the default) is the embedded process pool; ``dask`` is the Dask distributed
executor, on the scheduler named by ``ESCAPESIM_DASK_SCHEDULER`` (``tcp://host:8786``)
or, without one, on a LocalCluster of ``workers`` processes. The Dask executor is only
imported when asked for: ``distributed`` is an optional dependency (the ``dask`` extra).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from escapesim.service.workers.live import LiveSimulations, LiveStream
from escapesim.service.workers.local import Executor, LocalExecutor

EXECUTOR_ENV = "ESCAPESIM_EXECUTOR"
KINDS = ("local", "dask")


def executor_from_env(workers: int, environ: Mapping[str, str] | None = None) -> Executor:
    """The executor ``environ`` (default ``os.environ``) asks for, with ``workers`` processes.

    Raises ``ValueError`` naming the variable for an unknown kind, and ``ImportError``
    with the fix when ``dask`` is asked for but ``distributed`` is not installed.
    """
    environ = os.environ if environ is None else environ
    kind = environ.get(EXECUTOR_ENV, "").strip().lower() or "local"
    if kind not in KINDS:
        raise ValueError(f"{EXECUTOR_ENV}: must be one of {', '.join(KINDS)} (got {kind!r})")
    if kind == "local":
        return LocalExecutor(workers)
    try:
        from escapesim.service.workers.dask_cluster import DaskExecutor
    except ImportError as error:
        raise ImportError(
            f"{EXECUTOR_ENV}=dask needs Dask distributed: pip install 'escapesim[dask]' ({error})"
        ) from error
    return DaskExecutor.from_env(environ, workers=workers)


def live_simulations(executor: Executor, calls: int) -> LiveStream:
    """Where ``Simulate`` calls run: on the Dask workers when ``executor`` is Dask (the API
    container then only streams), else in ``calls`` local spawned workers."""
    # A Dask executor exists only if its module was imported (distributed is optional).
    dask_cluster = sys.modules.get("escapesim.service.workers.dask_cluster")
    if dask_cluster is not None and isinstance(executor, dask_cluster.DaskExecutor):
        from escapesim.service.workers.dask_live import DaskLiveSimulations

        return DaskLiveSimulations(executor, calls)
    return LiveSimulations(calls)
