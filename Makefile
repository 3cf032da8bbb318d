# The two commands: `make run` (set up everything and start the app) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Where `make run` listens; the demo data (email links, the form's allowed embedding sites) and
# the app use the same address, so `make run PORT=8123` seeds links to :8123 too.
HOST ?= 127.0.0.1
PORT ?= 8000
SITE_URL ?= http://$(HOST):$(PORT)
APP_ENV := DEBUG=true SITE_URL=$(SITE_URL)

.PHONY: run test setup lint format messages clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

messages: | $(PY)
	$(PY) scripts/compile_messages.py

setup: $(VENV)/.runtime messages
	$(APP_ENV) $(PY) manage.py migrate --no-input
	$(APP_ENV) $(PY) manage.py setup_periodic_tasks
	$(APP_ENV) $(PY) manage.py seed_demo

run: setup
	@echo "Admin24: $(SITE_URL)/ (admin: /admin/, API docs: /api/docs/, health: /healthz)"
	$(APP_ENV) HOST=$(HOST) PORT=$(PORT) $(PY) scripts/run_all.py

test: $(VENV)/.dev messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var .pytest_cache
