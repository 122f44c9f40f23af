# Every target bootstraps its own virtual environment in .venv, so a fresh machine
# with only Python needs nothing else: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint typecheck bench clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## The main job: the gRPC service on its embedded defaults.
run: $(STAMP)
	$(BIN)/escapesim serve

## The whole default test suite: lint, types, architecture contract, tests.
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check engine service tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## Long statistical suites (not part of `make test`).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/bench_kernel.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
