"""Files of the data directory: one durable write, private permissions, atomic replacement.

Every file the store keeps goes through :func:`write_durably`: written under a temporary
name in the destination directory, flushed and fsynced, renamed into place
(``os.replace`` is atomic within one file system) and the directory fsynced, so a reader
sees no file or the whole file and a crash at any instant loses nothing acknowledged.

The data directory holds scenarios, request ids and results: directories are made 0700
and files 0600 whatever the process umask (:func:`private_directory`, and ``mkstemp``,
which creates 0600 files).

:func:`atomic_target` is for files a user asked for (``--out``, ``--plot``): atomic, but
with the usual permissions (0666 less the umask) and no fsync.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

#: What a temporary file's name ends with (a crash may leave some; the store removes them).
TEMPORARY_SUFFIX = ".tmp"
#: Modes of the data directory's folders and files.
PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def write_durably(target: Path, write: Callable[[BinaryIO], None]) -> None:
    """Replace ``target`` atomically and durably by what ``write`` writes to its sink.

    The directory must exist. The file is private (0600); on any failure the temporary
    file is removed and ``target`` is left as it was.
    """
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as sink:
            write(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def write_bytes_durably(data: bytes, target: Path) -> None:
    """:func:`write_durably` of ``data``."""

    def write(sink: BinaryIO) -> None:
        sink.write(data)

    write_durably(target, write)


def private_directory(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders, durably; returns ``path``.

    An existing folder is made 0700 too (a data directory from an older build was 0755).
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    for folder in missing:  # mkdir's mode is filtered by the umask: set it exactly
        os.chmod(folder, PRIVATE_DIRECTORY)
        fsync_directory(folder.parent)
    if (path.stat().st_mode & 0o777) != PRIVATE_DIRECTORY:
        os.chmod(path, PRIVATE_DIRECTORY)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` if missing as an empty 0600 file (or make it 0600); returns it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)
    return path


def fsync_directory(path: Path) -> None:
    """Make renames and new entries in directory ``path`` durable."""
    # A rename is durable only once its directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
