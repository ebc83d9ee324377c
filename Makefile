# The two commands of the README: `make run` and `make test`. Plus `make bench` and `make lint`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench lint install translations messages

install: $(STAMP) translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d web/translations

run: install
	bash scripts/run.sh

test: install
	bash scripts/ensure-services.sh
	$(BIN)/pytest --ignore=tests/perf

bench: install
	bash scripts/ensure-services.sh
	@# pytest exits 5 when it collects nothing: no benchmark is not a failure.
	$(BIN)/pytest tests/perf -s || [ $$? -eq 5 ]

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# After changing UI text: refresh the catalog, then fill in the Spanish in messages.po.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o web/translations/messages.pot .
	$(BIN)/pybabel -q update -i web/translations/messages.pot -d web/translations
