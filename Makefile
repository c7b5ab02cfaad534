# make run  -> a working demo on http://127.0.0.1:8000 from a fresh clone (SQLite, nothing else needed)
# make lint -> ruff, strict mypy, import contracts, translations (CI runs it before the tests)
# make test -> the whole suite (SQLite and PostgreSQL, Node for the crypto vectors, Chromium for browser tests)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate demo lint typecheck messages messages-check clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

migrate: $(STAMP)
	$(BIN)/eportfolio migrate

demo: migrate
	$(BIN)/eportfolio demo

run: demo
	$(BIN)/eportfolio serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, strict mypy, the import contracts in pyproject.toml, and every message has its Dutch.
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench migrations scripts
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/python scripts/messages.py check

messages: $(DEV_STAMP)
	$(BIN)/python scripts/messages.py extract

messages-check: $(DEV_STAMP)
	$(BIN)/python scripts/messages.py check

bench: $(DEV_STAMP)
	@cat bench/README.md

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
