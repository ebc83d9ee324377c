# The two commands of the README: `make run` and `make test`. Plus `make bench` and `make lint`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench lint install translations

install: $(STAMP) translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	$(BIN)/pybabel compile -q -d web/translations

run: install
	bash scripts/run.sh

test: install
	bash scripts/ensure-services.sh
	$(BIN)/pytest
	@echo "--- smoke pass on SQLite ---"
	AMPARO_TEST_DATABASE_URL=sqlite $(BIN)/pytest -m smoke

bench: install
	bash scripts/ensure-services.sh
	$(BIN)/pytest tests/perf -p no:randomly -s

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
