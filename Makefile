# press-digest: the two commands of the README, and the checks behind them.
# `make run` and `make test` work on a fresh machine with only python3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= digest.example.toml

.PHONY: run test lint bench bench-ingest clean

# The stamp files make a second `make run` skip the install when
# pyproject.toml has not changed (the package is installed in editable mode,
# so code changes need no reinstall).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@$(BIN)/digest run --config $(CONFIG) > $(VENV)/last-run.txt; status=$$?; \
	  if [ -s $(VENV)/last-run.txt ]; then echo "Open this file in a browser: $$(tail -n 1 $(VENV)/last-run.txt)"; fi; \
	  exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict digest

test: lint
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/build_speed.py

# About two minutes: 500 feeds over 25 loopback hosts, with a sequential baseline.
bench-ingest: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
