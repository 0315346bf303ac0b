# The two set-up commands: `make run` (install, build the demo county, start the app) and
# `make test` (install, run every test). Both create .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
DEMO   := data/demo.sqlite

.PHONY: run test e2e bench demo clean lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

$(DEMO): | $(VENV)/.runtime
	$(BIN)/python -m dashboard demo-db --out $(DEMO)

demo: $(VENV)/.runtime
	$(BIN)/python -m dashboard demo-db --out $(DEMO) --force

run: $(VENV)/.runtime $(DEMO)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 --dist loadfile -q tests

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

e2e: $(VENV)/.dev
	$(BIN)/python -m pytest -q -p no:randomly e2e

bench: $(VENV)/.runtime
	$(BIN)/python -m dashboard bench

clean:
	rm -rf $(VENV) .pytest_cache
