"""The engine is a pure library: importing it pulls in no transport and has no side effects."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import escapesim
from escapesim.service.cli import main


def test_engine_imports_no_grpc_or_protobuf_or_service() -> None:
    code = (
        "import sys, escapesim.engine; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'grpc'} "
        "or m.startswith(('google.protobuf', 'escapesim.service'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_every_import_of_the_project_goes_through_the_escapesim_namespace() -> None:
    # The repository keeps engine/ and service/ at its top level, where pytest's rootdir
    # would also make them importable as bare `engine` and `service`: one such import would
    # load a second copy of a module (two Scenario classes, two numba caches).
    root = Path(__file__).resolve().parent.parent
    offenders = [
        f"{path.relative_to(root)}: {name}"
        for folder in ("engine", "service", "tests", "benchmarks", "scripts")
        for path in sorted((root / folder).rglob("*.py"))
        if "_proto" not in path.parts
        for name in _imported_modules(path)
        if name.split(".")[0] in {"engine", "service"}
    ]
    assert offenders == []


def test_version_is_the_distributions_and_the_command_prints_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert escapesim.__version__ == importlib.metadata.version("escapesim")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"escapesim {escapesim.__version__}"


def test_no_module_of_the_engine_or_the_service_is_over_400_lines() -> None:
    # Small modules with one job (docs/design.md section 8); generated code aside.
    root = Path(__file__).resolve().parent.parent
    long = [
        f"{path.relative_to(root)}: {lines}"
        for folder in ("engine", "service")
        for path in sorted((root / folder).rglob("*.py"))
        if "_proto" not in path.parts
        and (lines := len(path.read_text().splitlines())) > 400
    ]
    assert long == []
