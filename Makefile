# The two commands: `make run` (set up everything and start the app) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

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
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py setup_periodic_tasks
	DEBUG=true $(PY) manage.py seed_demo

run: setup
	@echo "Admin24: http://$${HOST:-127.0.0.1}:$${PORT:-8000}/ (admin: /admin/, API docs: /api/docs/, health: /healthz)"
	DEBUG=true SITE_URL=$${SITE_URL:-http://$${HOST:-127.0.0.1}:$${PORT:-8000}} $(PY) scripts/run_all.py

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
