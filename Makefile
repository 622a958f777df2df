# The two commands of the README. Both set up .venv first (idempotent).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= auto

.PHONY: setup run test lint

# The party matcher's modules are compiled (setup.py, mypyc): a change to one of them rebuilds, or its
# old compiled code would keep running (PURE_PYTHON_BUILD=1 skips compiling). Any module of the package
# counts, so that this list cannot fall behind setup.py's.
COMPILED := $(wildcard service/engine/parties/*.py service/engine/parties/*.c)

$(BIN)/export-screen: pyproject.toml setup.py clients/python/pyproject.toml $(COMPILED)
	@echo "setting up $(VENV): installing the dependencies, then compiling the party matcher with mypyc (2-4 minutes the first time; PURE_PYTHON_BUILD=1 skips compiling)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' -e clients/python
	touch $(BIN)/export-screen
	@echo "set up: $(VENV) is ready"

setup: $(BIN)/export-screen

## run: set up and run the service on the bundled rules and lists (make run HOST=0.0.0.0 PORT=8001 WORKERS=2)
run: setup
	$(BIN)/export-screen serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

## test: set up, lint, type-check and run every test
test: setup lint
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check service tests scripts clients
	$(BIN)/mypy
	cd clients/python && ../../$(BIN)/mypy src
