# Two commands for a newcomer: `make run` and `make test`. Everything else is internal.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck contracts pytest migrate seed clean engine-core

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml requirements.lock
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The spot matching core compiled with mypyc into build/ (ADR 0023); skipped when up to date.
engine-core: $(STAMP)
	$(PY) deploy/build_engine_core.py

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed engine-core
	@mkdir -p var
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" REDIS_URL="$${REDIS_URL:-$$($(PY) -m exchange.embedded_redis)}" \
		honcho -f deploy/Procfile start

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy matching_engine matching_client exchange api admin_ui

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

# The whole suite on the compiled core, then the engine's own suite again on the pure one
# (ENGINE_PURE_TESTS= skips that second run).
ENGINE_PURE_TESTS ?= tests/matching_engine
pytest: $(STAMP) engine-core
	$(PY) manage.py makemigrations --check --dry-run
	MATCHING_ENGINE_REQUIRE_COMPILED=1 $(VENV)/bin/pytest $(PYTEST_ARGS)
	$(if $(ENGINE_PURE_TESTS),MATCHING_ENGINE_PURE=1 $(VENV)/bin/pytest -q $(ENGINE_PURE_TESTS))

test: lint typecheck contracts pytest

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache
