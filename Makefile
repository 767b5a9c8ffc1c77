# press-digest: the two commands of the README, and the checks behind them.
# `make run` and `make test` work on a fresh machine with only python3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= digest.example.toml

.PHONY: run test lint messages system-packages bench bench-classify bench-khmer bench-render bench-send bench-ingest bench-parsers bench-stories bench-scale clean

# The stamp files make a second `make run` skip the install when
# pyproject.toml has not changed (the package is installed in editable mode,
# so code changes need no reinstall).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# An editable install leaves our own modules uncompiled; where
# PYTHONDONTWRITEBYTECODE is set (container images often set it) every cron run
# would compile them again (0.31 s to start instead of 0.27). Byte-compile them as a
# regular install would; a module edited later is recompiled as usual.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python -m compileall -q digest
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m compileall -q digest
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@$(BIN)/digest run --config $(CONFIG) > $(VENV)/last-run.txt; status=$$?; \
	  if [ -s $(VENV)/last-run.txt ]; then echo "Open this file in a browser: $$(tail -n 1 $(VENV)/last-run.txt)"; fi; \
	  exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict digest

# The browser tests need Debian's chromium (driven by Playwright, which
# downloads no browser of its own) and a Khmer font; the PostgreSQL tests need
# Debian's server binaries (initdb, pg_ctl: the tests start a throwaway server
# of their own, so Debian is told to create no cluster and start no service).
# Installed only when missing; without root, the tests that need them skip and
# say why.
SYSTEM_PACKAGES := chromium fonts-khmeros postgresql

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian packages for the browser and database tests:" $$missing; \
	  mkdir -p /etc/postgresql-common; \
	  [ -e /etc/postgresql-common/createcluster.conf ] || \
	    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "Missing Debian packages:" $$missing "(browser and PostgreSQL tests will skip; install them as root)"; \
	fi

test: lint system-packages
	$(BIN)/pytest

# Rules-layer speed, with and without the watchlist (target: 5,000 items/s).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/classify_speed.py

# Per-topic precision/recall/F1 on the held-out part of our labelled set, then
# relevance on what we did not tune on: the frozen look-alikes, every real-feed
# entry labelled by hand, and learning from the editor replayed.
bench-classify: $(VENV)/.installed-test
	$(BIN)/python bench/classify_eval.py
	$(BIN)/python bench/relevance_eval.py

# Khmer phrases as substrings (what we do) against whole words (khmer-nltk), and
# Khmer wrapped at ICU's word boundaries against letter clusters (PyICU builds
# against libicu-dev).
bench-khmer: $(VENV)/.installed-test
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,khmer]'
	$(BIN)/python bench/khmer_matching.py
	$(BIN)/python bench/khmer_wrap.py

# Our lxml reader against feedparser, and fastfeedparser and feedparser-rs when
# installed, on speed and on agreement with feedparser (real feeds' fixtures).
bench-parsers: $(VENV)/.installed-test
	$(BIN)/python bench/parsers.py

bench-render: $(VENV)/.installed-test
	$(BIN)/python bench/render.py

# About a minute and a half: 1,000 messages over STARTTLS, then plain SMTP, on
# loopback; then 200 through a relay adding a 10 ms round trip.
bench-send: $(VENV)/.installed-test
	$(BIN)/python bench/send.py

# About two minutes: 500 feeds over 25 loopback hosts, with a sequential baseline.
bench-ingest: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py

# Workers on a throwaway PostgreSQL: 10,000 feeds and 100,000 recipients with
# 1, 2 and 4 processes at once (--feeds, --recipients make it shorter).
bench-scale: $(VENV)/.installed-test system-packages
	$(BIN)/python bench/scale.py $(ARGS)

# Reports in two languages: labelled pairs grouped or kept apart as they should be.
bench-stories: $(VENV)/.installed-test
	$(BIN)/python bench/stories_eval.py

# After changing the words of a template: extract them into digest/locale/digest.pot
# and merge them into each language's catalogue (then translate the new entries;
# a test fails while any is missing).
# Extracts the templates' words into digest/locale/digest.pot. The catalogues
# are merged by hand: they also hold the topic labels and "Top story", which
# come from the taxonomy and [theme], and `pybabel update` would drop them as
# obsolete (a test fails while a catalogue lacks a message the templates use).
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -o digest/locale/digest.pot --no-location --omit-header --project press-digest .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
