"""The committed generated code in service/_proto must match proto/ (run `make proto`).

The check compiles proto/ afresh with grpc_tools.protoc into a temporary directory and
compares file descriptors, not generated text: the descriptors are what the runtime
serves (messages, services, reflection), and they do not change with the version of
grpcio-tools that wrote the Python around them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
GENERATED_PACKAGE = "escapesim.service._proto"


def _proto_files() -> list[str]:
    return sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))


def _compiled(tmp_path: Path) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    descriptor_set = tmp_path / "descriptors.pb"
    command = [
        sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}",
        f"--descriptor_set_out={descriptor_set}", *_proto_files(),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=PROTO_ROOT, capture_output=True)
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes()).file
    return {f.name: _normalised(f) for f in files}


def _committed(name: str) -> descriptor_pb2.FileDescriptorProto:
    module_name = GENERATED_PACKAGE + "." + name.removesuffix(".proto").replace("/", ".") + "_pb2"
    module = importlib.import_module(module_name)
    committed = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
    return _normalised(committed)


def _normalised(proto: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """Drop what differs only by how a descriptor was written (json_name is derivable)."""
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(proto)
    copy.ClearField("source_code_info")
    messages = list(copy.message_type)
    while messages:
        message = messages.pop()
        for field in (*message.field, *message.extension):
            field.ClearField("json_name")
        messages.extend(message.nested_type)
    return copy


def test_there_are_proto_files() -> None:
    assert "escapesim/v1/simulation_service.proto" in _proto_files()


def test_generated_code_matches_proto(tmp_path: Path) -> None:
    compiled = _compiled(tmp_path)
    for name, fresh in compiled.items():
        try:
            committed = _committed(name)
        except ModuleNotFoundError:
            pytest.fail(f"{name} has no generated module in service/_proto: run `make proto`")
        assert committed == fresh, f"service/_proto is stale for {name}: run `make proto`"


def test_no_generated_module_without_its_proto() -> None:
    generated = ROOT / "service" / "_proto"
    modules = sorted(str(p.relative_to(generated)) for p in generated.rglob("*_pb2.py"))
    expected = sorted(name.removesuffix(".proto") + "_pb2.py" for name in _proto_files())
    assert modules == expected, "service/_proto holds modules for protos that no longer exist"


def test_the_shipped_descriptor_set_matches_proto(tmp_path: Path) -> None:
    # proto/escapesim.protoset lets grpcurl (-protoset) describe and call every method
    # without reflection; `make proto` writes it with its imports (google/protobuf/*).
    shipped = descriptor_pb2.FileDescriptorSet.FromString(
        (PROTO_ROOT / "escapesim.protoset").read_bytes()
    )
    files = {f.name: _normalised(f) for f in shipped.file}
    for name, fresh in _compiled(tmp_path).items():
        assert files.get(name) == fresh, "proto/escapesim.protoset is stale: run `make proto`"
    imported = {d for f in shipped.file for d in f.dependency}
    assert imported <= set(files), "the descriptor set lacks an import: run `make proto`"


def test_the_descriptor_set_describes_every_method() -> None:
    from google.protobuf import descriptor_pool

    from escapesim.service.api import rpc

    pool = descriptor_pool.DescriptorPool()
    shipped = descriptor_pb2.FileDescriptorSet.FromString(
        (PROTO_ROOT / "escapesim.protoset").read_bytes()
    )
    for file in shipped.file:  # dependencies come first in a set written by protoc
        pool.Add(file)
    service = pool.FindServiceByName(rpc.SERVICE_NAME)
    assert {m.name for m in service.methods} == {m.name for m in rpc.METHODS}
    for method in rpc.METHODS:
        found = service.methods_by_name[method.name]
        assert found.input_type.full_name == method.request.DESCRIPTOR.full_name
