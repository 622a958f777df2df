# The two commands of the README. Both set up .venv first (idempotent).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint

$(BIN)/export-screen: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/export-screen

setup: $(BIN)/export-screen

## run: set up and run the main job on the bundled rules and lists
run: setup
	$(BIN)/export-screen serve

## test: set up, lint, type-check and run every test
test: setup lint
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check service tests scripts
	$(BIN)/mypy
