# Every target bootstraps its own virtual environment in .venv (and compiles the kernel
# into numba's cache), so a fresh machine with Python, make and git needs nothing else:
# `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run shell test test-slow lint typecheck bench bench-service bench-ensembles clean venv proto lock compose-check compose-smoke

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,gym]'
	@# Compile the kernel into numba's disk cache now, so the first run starts like the next.
	$(BIN)/escapesim warm
	touch $(STAMP)

venv: $(STAMP)

## A shell with the environment's commands (escapesim, python, pytest) first on PATH.
shell: $(STAMP)
	@echo "escapesim environment: $(abspath $(VENV)) (exit to leave)"
	@. $(BIN)/activate && exec "$${SHELL:-/bin/sh}" -i

## buf (the official protobuf linter) comes with the dev extra (bufbuild's buf-bin wheel).
BUF := $(BIN)/buf

## Regenerate service/_proto from proto/ (tests/test_proto_drift.py fails when stale).
PROTOS := $(shell find proto -name '*.proto' | sort)
proto: $(STAMP)
	find service/_proto -name '*_pb2.py*' -delete
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=service/_proto --pyi_out=service/_proto $(PROTOS)
	@# The descriptor set (with its imports) for tools without reflection: grpcurl -protoset.
	$(BIN)/python -m grpc_tools.protoc -Iproto -I$$($(BIN)/python -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))') --include_imports --descriptor_set_out=proto/escapesim.protoset $(PROTOS)

## The image's lock (requirements/image.lock): every runtime and Dask dependency, and the
## build backend, pinned with hashes for any platform (tests/test_image_lock.py checks it
## against pyproject.toml). Run after changing dependencies.
lock: $(STAMP)
	printf 'setuptools>=77\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - --extra dask \
		--universal --python-version 3.11 --generate-hashes --quiet -o requirements/image.lock

## The main job: the gRPC service on its embedded defaults.
run: $(STAMP)
	$(BIN)/escapesim serve

## The whole default test suite: lint, types, architecture contract, tests.
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP) compose-check
	$(BIN)/ruff check engine service tests benchmarks escapesim/__init__.py escapesim/library.py escapesim/gym.py
	$(BIN)/lint-imports
	$(BUF) lint
	@# buf breaking compares proto/ with the last release (a v* tag) once one exists.
	@tag=$$(git describe --tags --abbrev=0 --match 'v*' 2>/dev/null); \
	if [ -n "$$tag" ]; then $(BUF) breaking --against ".git#tag=$$tag"; \
	else echo "buf breaking: no release tag yet, skipped"; fi

typecheck: $(STAMP)
	$(BIN)/mypy

## Long statistical suites (not part of `make test`).
test-slow: $(STAMP)
	@# 900 s a test: the exact-mode birth–death cases fire ~1e10 events (300 s timed out).
	$(BIN)/python -m pytest -m slow --timeout 900

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/bench_kernel.py $(BENCH_ARGS)

## gRPC service throughput on loopback (GetRun, Simulate, StreamResults; a few minutes).
bench-service: $(STAMP)
	$(BIN)/python benchmarks/bench_service.py

## Ensembles through the local pool and Dask on 2 workers (~12 minutes; waits for a quiet machine).
bench-ensembles: $(STAMP)
	$(BIN)/python benchmarks/bench_ensembles.py --wait-load 1.5 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## Validate docker-compose.yml with Compose v2 from the dev extra (no Docker engine needed).
compose-check: $(STAMP)
	scripts/compose-check

## Prove the deployment end to end with a private dockerd (root; not part of `make test`).
compose-smoke: $(STAMP)
	scripts/compose-smoke
