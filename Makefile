# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed

.PHONY: demo test test-unit test-integration lint bench lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	# Bytecode compiled at install: this machine sets PYTHONDONTWRITEBYTECODE, and imports are 2x slower without it.
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --compile-bytecode -e .
	touch $(STAMP)

# The demo runs on the local stack (Prefect server, MLflow UI, a worker serving every deployment), so
# its event-triggered runs happen as in production and stay visible in the UI; `gridflow down` stops it.
demo: $(STAMP)
	$(BIN)/gridflow up --no-schedules
	$(BIN)/gridflow demo

# The import contract (pyproject.toml [tool.importlinter]) is part of the test: layers point down.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-unit: $(STAMP)
	$(BIN)/python -m pytest -m "not integration"

test-integration: $(STAMP)
	$(BIN)/python -m pytest -m integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Re-resolve the lock after changing pyproject.toml dependencies.
lock:
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .gridflow
