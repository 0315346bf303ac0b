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

# serve.py: app.py warmed up before the first visitor (dashboard/app/warmup.py).
run: $(VENV)/.runtime $(DEMO)
	$(BIN)/streamlit run serve.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 --dist loadfile -q tests

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

e2e: $(VENV)/.dev
	$(BIN)/python -m pytest -q -p no:randomly e2e

# PostgreSQL figures (scales 1 and 10, schemas built once) when BENCH_POSTGRES_URL is set.
BENCH_POSTGRES_URL ?=
bench: $(VENV)/.dev
	$(BIN)/python -m dashboard bench --browser $(if $(BENCH_POSTGRES_URL),--postgres $(BENCH_POSTGRES_URL))

clean:
	rm -rf $(VENV) .pytest_cache
