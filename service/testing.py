"""pytest plugin (entry point ``escapesim`` in ``pytest11``): a real escapesim server.

Installing escapesim makes these fixtures available to any project's tests:

* ``escapesim_client`` — starts ``escapesim serve`` as a subprocess on a free loopback
  port with a temporary data directory, waits until it reports SERVING, yields a
  connected :class:`escapesim.service.client.Client`, and stops the server cleanly afterwards;
* ``escapesim_server`` — the same server as a :class:`ServerProcess` (its ``address``,
  ``data`` directory, log, ``client()``), for tests that need more than one client.

:class:`ServerProcess` can also be used directly (for example to kill a server and start
another on the same data directory). This module imports nothing heavy at import time:
pytest loads it in every session of every project that has escapesim installed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from escapesim.service.api.server import EscapesimServer
    from escapesim.service.api.settings import Settings
    from escapesim.service.client import Client

#: Settings of the fixtures' servers: small, so that tests start quickly on any machine.
SMALL_SETTINGS = {"ESCAPESIM_WORKERS": "1", "ESCAPESIM_SIMULATE_WORKERS": "1"}

#: What ``escapesim serve`` prints on stdout once it listens.
READY_PREFIX = "escapesim serving on "


class ServerProcess:
    """``escapesim serve`` in a subprocess: :meth:`start`, then :meth:`stop` or :meth:`kill`."""

    def __init__(
        self,
        data: Path,
        *,
        env: Mapping[str, str] | None = None,
        args: tuple[str, ...] = (),
        log: Path | None = None,
    ) -> None:
        """``data`` is the data directory; ``env`` the ``ESCAPESIM_*`` settings (those of
        the calling environment are not inherited); ``args`` extra ``serve`` flags;
        ``log`` where the server's stderr goes."""
        self.data = data
        self.log = log or data.parent / f"{data.name}-server.log"
        self.address = ""
        # The caller's own ESCAPESIM_* settings (a token file, a data directory) are not
        # inherited: a test server starts from the defaults plus what ``env`` says.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPESIM_")}
        self._env = {**inherited, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self._args = args
        self._process: subprocess.Popen[str] | None = None
        self._log_file: IO[str] | None = None

    def start(self, timeout: float = 60.0) -> str:
        """Start and wait until the server listens and answers SERVING; returns its address."""
        command = [
            *_escapesim_command(), "serve",
            "--addr", "127.0.0.1:0", "--data", str(self.data), *self._args,
        ]  # fmt: skip
        self._log_file = self.log.open("a", encoding="utf-8")
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log_file, text=True, env=self._env
        )
        assert self._process.stdout is not None
        # The port is chosen by the OS (port 0) and announced: no race for a free port.
        line = self._process.stdout.readline()
        if not line.startswith(READY_PREFIX):
            self.kill()
            raise RuntimeError(f"escapesim serve did not start; see {self.log}:\n{self.log_text()}")
        # "escapesim serving on HOST:PORT (health: SERVING)": the address is the first word.
        self.address = line.removeprefix(READY_PREFIX).split()[0]
        with self.client() as client:
            client.wait_ready(timeout)
        return self.address

    def client(self, **options: object) -> Client:
        """A new client connected to this server (close it, or use it in ``with``)."""
        from escapesim.service.client import Client

        return Client(self.address, **options)  # type: ignore[arg-type]

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self._process is not None, "not started"
        return self._process.pid

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (drain) and wait; returns the exit status."""
        return self._end(signal.SIGTERM, timeout)

    def kill(self) -> int:
        """SIGKILL at once (a crash); returns the exit status."""
        return self._end(signal.SIGKILL, 10.0)

    def log_text(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def _end(self, signum: int, timeout: float) -> int:
        process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signum)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(10.0)
        if process.stdout is not None:
            process.stdout.close()
        if self._log_file is not None:
            self._log_file.close()
        self._process = None
        return code

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class InProcessServer:
    """An :class:`escapesim.service.api.server.EscapesimServer` on its own event loop in a thread.

    For tests that want the server in this process (no start-up of a new interpreter);
    simulations still run in spawned worker processes.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.address = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: EscapesimServer | None = None

    def start(self, timeout: float = 60.0) -> str:
        """Start the loop thread and the server; returns its address."""
        from escapesim.service.api import event_loop
        from escapesim.service.api.server import EscapesimServer

        loop = event_loop.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="escapesim-server", daemon=True
        )
        self._thread.start()
        self._server = EscapesimServer(self.settings)
        started = asyncio.run_coroutine_threadsafe(self._server.start(), loop)
        self.address = started.result(timeout)
        return self.address

    def client(self, **options: object) -> Client:
        """A new client connected to this server."""
        from escapesim.service.client import Client

        return Client(self.address, **options)  # type: ignore[arg-type]

    def stop(self, timeout: float = 60.0) -> None:
        """Drain and stop the server, then the loop thread."""
        loop, server, thread = self._loop, self._server, self._thread
        if loop is None or server is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
        self._loop = self._server = self._thread = None

    def __enter__(self) -> InProcessServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _escapesim_command() -> list[str]:
    """The installed ``escapesim`` script next to this interpreter, else ``-m service.cli``."""
    script = Path(sys.executable).with_name("escapesim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "escapesim.service.cli"]


@pytest.fixture
def escapesim_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A running ``escapesim serve`` with a temporary data directory (stopped after)."""
    server = ServerProcess(tmp_path / "escapesim-data", env=SMALL_SETTINGS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def escapesim_client(escapesim_server: ServerProcess) -> Iterator[Client]:
    """A client connected to a fresh ``escapesim serve`` (see :func:`escapesim_server`)."""
    with escapesim_server.client() as client:
        yield client


def wait_until(condition: object, timeout: float = 30.0, interval: float = 0.05) -> None:
    """Poll ``condition()`` until it is true; raises ``TimeoutError``."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout:g} s")
        time.sleep(interval)
