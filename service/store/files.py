"""Atomic file replacement: readers see the old file or the whole new one, never half."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed onto ``path``.

    The temporary file lives in the destination directory so that the rename never
    crosses file systems (``os.replace`` is atomic only within one). It is created with
    mode 0o666 less the umask, like any new file (``tempfile.mkstemp`` would make it
    private, 0o600). On any failure it is removed and ``path`` is left untouched.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
