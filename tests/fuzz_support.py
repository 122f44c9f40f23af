"""A seeded generator of hostile request bodies for every RPC of the service descriptor.

Four kinds, in turn: random bytes; wire-valid random messages (every field type filled
from the descriptor, sometimes past the caps); valid requests with their bytes mutated;
and hostile values (forged page tokens, oversized ids and lists, non-finite numbers,
scenarios that blow up). The same seed gives the same bodies.
"""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Callable, Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.client import analysis_message

KINDS = ("random bytes", "random message", "mutated valid", "hostile value")

_TEXTS = (
    "", "kuznetsov1994", "birth_death", "escape2004", "T", "E", "c", "birth", "anti_pd1",
    "../../etc/passwd", "x" * 65, "é" * 70, "\x00", "parameters.c", "initial.T", "%s%n",
    "'; DROP TABLE runs; --", "a" * 300,
)  # fmt: skip
_DOUBLES = (0.0, -0.0, 1.0, -1.0, 0.5, 30.0, 1e-300, 1e300, 1.7e308, -1e308, math.inf,
            -math.inf, math.nan, 2.0**63, 1e15, 1e16)  # fmt: skip
_INTEGERS = (0, 1, -1, 2, 7, 1000, 10**6, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63))


def valid_requests(run_id: str, ensemble_id: str, analysis_id: str) -> dict[str, Message]:
    """A request each RPC accepts (ids of an existing run, ensemble and analysis)."""
    scenario = pb.Scenario(preset="kuznetsov1994", horizon_days=3, replicates=1)
    return {
        "CreateRun": pb.CreateRunRequest(scenario=scenario),
        "GetRun": pb.GetRunRequest(run_id=run_id),
        "ListRuns": pb.ListRunsRequest(page_size=3),
        "CancelRun": pb.CancelRunRequest(run_id=run_id),
        "WatchRun": pb.WatchRunRequest(run_id=run_id),
        "StreamResults": pb.StreamResultsRequest(run_id=run_id, tables=[1]),
        "Simulate": pb.SimulateRequest(scenario=scenario),
        "ValidateScenario": pb.ValidateScenarioRequest(scenario=scenario),
        "ListPresets": pb.ListPresetsRequest(),
        "CreateEnsemble": pb.CreateEnsembleRequest(
            ensemble=pb.EnsembleSpec(
                scenario=scenario,
                replicates=1,
                grid=[pb.GridAxis(field="initial.T", values=[10.0])],
            )
        ),
        "GetEnsemble": pb.GetEnsembleRequest(ensemble_id=ensemble_id),
        "ListEnsembles": pb.ListEnsemblesRequest(page_size=3),
        "CancelEnsemble": pb.CancelEnsembleRequest(ensemble_id=ensemble_id),
        "WatchEnsemble": pb.WatchEnsembleRequest(ensemble_id=ensemble_id),
        "StreamEnsembleResults": pb.StreamEnsembleResultsRequest(ensemble_id=ensemble_id),
        "RunSession": pb.RunSessionRequest(
            open=pb.SessionOpen(scenario=scenario, every_days=1.0)
        ),
        "ForkRun": pb.ForkRunRequest(
            run_id=run_id, replicate=0, day=1.0, arms=[pb.ForkArm(name="again")]
        ),
        "CreateAnalysis": pb.CreateAnalysisRequest(analysis=TINY_ANALYSIS),
        "GetAnalysis": pb.GetAnalysisRequest(analysis_id=analysis_id),
        "ListAnalyses": pb.ListAnalysesRequest(page_size=3),
        "CancelAnalysis": pb.CancelAnalysisRequest(analysis_id=analysis_id),
        "WatchAnalysis": pb.WatchAnalysisRequest(analysis_id=analysis_id),
        "StreamAnalysisResults": pb.StreamAnalysisResultsRequest(analysis_id=analysis_id),
    }


#: A Morris screening of one parameter over 2 sets of one 3-day replicate.
TINY_ANALYSIS = analysis_message("sensitivity", {
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 3}, "method": "morris",
    "samples": 1, "replicates": 1, "parameters": {"a": {"low": 0.1, "high": 0.3}},
    "quantities": [{"kind": "tumour_burden", "day": 3}],
})  # fmt: skip


def bodies(
    seed: int, count: int, valid: dict[str, Message]
) -> Iterator[tuple[rpc.Method, str, bytes]]:
    """``count`` (method, kind, body) triples, methods and kinds in rotation."""
    rng = random.Random(seed)
    makers: dict[str, Callable[[rpc.Method], bytes]] = {
        "random bytes": lambda m: _random_bytes(rng),
        "random message": lambda m: _random_message(rng, m.request.DESCRIPTOR).SerializeToString(),
        "mutated valid": lambda m: _mutated(rng, valid[m.name].SerializeToString()),
        "hostile value": lambda m: _hostile(rng, m, valid[m.name]),
    }
    for index in range(count):
        method = rpc.METHODS[index % len(rpc.METHODS)]
        kind = KINDS[(index // len(rpc.METHODS)) % len(KINDS)]
        yield method, kind, makers[kind](method)


def _random_bytes(rng: random.Random) -> bytes:
    size = rng.choice((0, 1, 2, 3, 8, 32, 200, 3000))
    return rng.randbytes(rng.randint(0, size))


def _random_message(rng: random.Random, descriptor: Descriptor, depth: int = 0) -> Message:
    message: Message = GetMessageClass(descriptor)()
    for field in descriptor.fields:
        if rng.random() < 0.4:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            entries = rng.choice((1, 2, 5, 200))
            target = getattr(message, field.name)
            value_field = field.message_type.fields_by_name["value"]
            for _ in range(entries):
                key = rng.choice(_TEXTS) + str(rng.randint(0, 99))
                target[key] = _scalar(rng, value_field)
        elif field.is_repeated:
            items = rng.choice((1, 2, 3, 500)) if depth < 2 else 1
            target = getattr(message, field.name)
            for _ in range(items):
                if field.message_type is not None:
                    if depth < 3:
                        target.add().CopyFrom(_random_message(rng, field.message_type, depth + 1))
                else:
                    target.append(_scalar(rng, field))
        elif field.message_type is not None:
            if depth < 3:
                getattr(message, field.name).CopyFrom(
                    _random_message(rng, field.message_type, depth + 1)
                )
        else:
            setattr(message, field.name, _scalar(rng, field))
    return message


def _scalar(rng: random.Random, field: FieldDescriptor) -> object:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return rng.choice(_TEXTS)
    if kind == FieldDescriptor.TYPE_BYTES:
        return rng.randbytes(rng.randint(0, 16))
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return rng.choice(_DOUBLES) if rng.random() < 0.7 else rng.uniform(-1e3, 1e3)
    if kind == FieldDescriptor.TYPE_BOOL:
        return rng.random() < 0.5
    if kind == FieldDescriptor.TYPE_ENUM:
        return rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 99, -1))
    bits = 32 if kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32,
                          FieldDescriptor.TYPE_SFIXED32) else 64  # fmt: skip
    value = rng.choice(_INTEGERS)
    return max(min(value, 2 ** (bits - 1) - 1), -(2 ** (bits - 1)))


def _mutated(rng: random.Random, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        action = rng.randrange(4)
        position = rng.randint(0, len(data))
        if action == 0 and data:
            data[min(position, len(data) - 1)] = rng.randrange(256)
        elif action == 1:
            data[position:position] = rng.randbytes(rng.randint(1, 8))
        elif action == 2:
            del data[position : position + rng.randint(1, 8)]
        else:
            data = data[:position]
    return bytes(data)


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


_FORGED_TOKENS = (
    _token({"before": 9223372036854775808, "state": ""}),
    _token({"before": -1, "state": ""}),
    _token({"before": 0, "state": ""}),
    _token({"before": 1.5, "state": ""}),
    _token({"before": True, "state": ""}),
    _token({"before": 1, "state": 7}),
    _token([1, 2]),
    _token({"before": 10**30, "state": "running"}),
    "!!!", "====", "eyJ", "A" * 256,
)  # fmt: skip


def _hostile(rng: random.Random, method: rpc.Method, valid: Message) -> bytes:
    request = type(valid)()
    request.CopyFrom(valid)
    descriptor = request.DESCRIPTOR
    choice = rng.randrange(6)
    if "page_token" in descriptor.fields_by_name:
        request.page_token = rng.choice(_FORGED_TOKENS)
        if choice == 0:
            request.page_size = rng.choice((-1, -(2**31), 2**31 - 1))
    for name in ("run_id", "ensemble_id", "request_id"):
        if name in descriptor.fields_by_name and choice < 3:
            setattr(request, name, rng.choice(("x" * 9000, "../../etc", "a b", "é", "x" * 65)))
    if "after_sequence" in descriptor.fields_by_name and choice == 3:
        request.after_sequence = rng.choice((-1, -(2**63), 2**63 - 1))
    if "tables" in descriptor.fields_by_name:
        request.tables.extend([rng.choice((0, 1, 7, 99, -5))] * rng.choice((1, 9, 500)))
    if "scenario" in descriptor.fields_by_name:
        _hostile_scenario(rng, request.scenario, choice)
    if "ensemble" in descriptor.fields_by_name:
        _hostile_ensemble(rng, request.ensemble, choice)
    return request.SerializeToString()


def _hostile_scenario(rng: random.Random, scenario: pb.Scenario, choice: int) -> None:
    if choice == 0:
        scenario.Clear()
        scenario.preset = "birth_death"
        scenario.parameters["birth"] = 100.0
        scenario.horizon_days = 30.0
    elif choice == 1:
        for index in range(rng.choice((129, 5000))):
            scenario.parameters[f"unknown_{index}"] = 1.0
    elif choice == 2:
        scenario.therapies.add(kind="anti_pd1", at_days=[1.0] * rng.choice((401, 20000)))
    elif choice == 3:
        scenario.horizon_days = rng.choice((math.nan, math.inf, -1.0, 1e300))
        scenario.interval_days = rng.choice((math.nan, 0.0, 1e-300, -1.0))
    elif choice == 4:
        scenario.replicates = rng.choice((0, -1, 2**63 - 1, 10**9))
        scenario.seed = rng.choice((-1, 2**63 - 1))
    else:
        scenario.initial["T"] = rng.choice((math.nan, math.inf, -1.0, 1e300, 1e16))
        scenario.escape_threshold = rng.choice((math.nan, 0.0, -1.0, 1e300))


def _hostile_ensemble(rng: random.Random, ensemble: pb.EnsembleSpec, choice: int) -> None:
    if choice == 0:
        axis = ensemble.grid.add(field="parameters.a")
        axis.range.start, axis.range.stop = 0.0, 1.0
        axis.range.num = rng.choice((2**62, 10**7, -1, 0))
    elif choice == 1:
        for index in range(rng.choice((17, 40))):
            ensemble.grid.add(field=f"initial.T{index}", values=[1.0, 2.0])
    elif choice == 2:
        for index in range(33):
            ensemble.arms.add(name=f"arm{index}")
    elif choice == 3:
        ensemble.replicates = rng.choice((0, -1, 2**62))
    elif choice == 4:
        ensemble.control = rng.choice(("missing", "x" * 5000))
    else:
        ensemble.grid[0].values.extend([math.nan, math.inf] * 600)
