"""The engine is a pure library: importing it pulls in no transport and has no side effects."""

from __future__ import annotations

import subprocess
import sys


def test_engine_imports_no_grpc_or_protobuf_or_service() -> None:
    code = (
        "import sys, engine; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'grpc', 'service'} "
        "or m.startswith('google.protobuf')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
