# Two commands: `make run` serves the app with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgresql install install-dev system-deps clean help

help:
	@echo "make run    set up .venv, migrate, load the demo catalog when empty, serve on $(HOST):$(PORT)"
	@echo "make test   install test dependencies and run the suite on SQLite and on PostgreSQL"

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The Open Badges 2.0 reference validator in its own venv (its pins clash with the app's):
# requirements-ob2.txt, then the validator itself without its dependencies.
OB2_VENV := .venv-ob2
$(OB2_VENV)/.installed: requirements-ob2.txt
	@test -x $(OB2_VENV)/bin/python || $(PYTHON) -m venv $(OB2_VENV)
	$(OB2_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-ob2.txt
	$(OB2_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps "openbadges==1.1.2"
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.dev-installed

run: $(VENV)/.installed
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	@echo
	@echo "Demo accounts:"
	@$(FLASK) demo accounts
	@echo
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops)"
	$(FLASK) run --host $(HOST) --port $(PORT) --no-reload

system-deps:
	@bash scripts/ensure-system-deps.sh

# Both databases at once (scripts/test-both.sh): the passes share nothing, and on two
# cores that takes about 45 minutes instead of 75 one after the other.
test: install-dev system-deps node_modules/.installed $(OB2_VENV)/.installed
	PY=$(PY) bash scripts/test-both.sh $(PYTEST_ARGS)

test-sqlite: install-dev system-deps node_modules/.installed $(OB2_VENV)/.installed
	$(PY) -m pytest -q --db=sqlite $(PYTEST_ARGS)

test-postgresql: install-dev system-deps node_modules/.installed $(OB2_VENV)/.installed
	$(PY) -m pytest -q --db=postgresql $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(OB2_VENV) .pytest_cache
