"""The image's lock (requirements/image.lock, `make lock`) pins what pyproject.toml asks for.

The Dockerfile installs only the lock's pins (``--require-hashes --no-deps``): a runtime or
Dask dependency added to pyproject.toml but not re-locked would be missing from the image,
and a lower bound raised but not re-locked would ship an older version. Both fail here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "image.lock"
#: The image's interpreter and platform (Dockerfile: python:3.11-slim-bookworm, Linux).
IMAGE = {"python_version": "3.11", "python_full_version": "3.11.9", "sys_platform": "linux",
         "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
         "platform_python_implementation": "CPython", "platform_machine": "x86_64",
         "extra": ""}  # fmt: skip


def _pins() -> dict[str, Version]:
    """Name → version of every pin the image installs (markers evaluated for the image)."""
    pins: dict[str, Version] = {}
    for line in LOCK.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if found is None:
            continue
        name, version, marker = found.groups()
        if marker is None or Marker(marker).evaluate(IMAGE):
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _required() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = [*project["dependencies"], *project["optional-dependencies"]["dask"]]
    required = [Requirement(text) for text in texts]
    return [r for r in required if r.marker is None or r.marker.evaluate(IMAGE)]


def test_every_runtime_and_dask_dependency_is_pinned_within_its_bounds() -> None:
    pins = _pins()
    assert len(pins) > 30, f"the lock parsed to {len(pins)} pins: is it a uv lock?"
    for requirement in _required():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is required by pyproject.toml but not locked: make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} in the lock is outside pyproject.toml's "
            f"{requirement.specifier}: make lock"
        )


def test_every_pin_carries_hashes_and_the_dockerfile_requires_them() -> None:
    text = LOCK.read_text()
    assert text.count("==") <= text.count("--hash=sha256:")
    assert (
        "--require-hashes --no-deps -r requirements/image.lock" in (ROOT / "Dockerfile").read_text()
    )
