# Two commands for a newcomer: `make run` and `make test`. Everything else is internal.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS := assets/dist/.installed
CONTRACTS_NPM := contracts/node_modules/.installed

.PHONY: run test lint typecheck contracts pytest migrate seed clean assets engine-core screenshots \
	test-token evm-node

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml requirements.lock
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# GraphiQL's files from the npm registry, locked (assets/package-lock.json), served locally.
$(ASSETS): assets/package.json assets/package-lock.json assets/build.sh
	@command -v npm >/dev/null 2>&1 || { echo "need npm (nodejs) for the GraphiQL assets"; exit 1; }
	sh assets/build.sh

assets: $(ASSETS)

# contracts/: solc-js (the test token's compiler) and Hardhat (the local EVM node of
# tests/exchange/wallets/evmnode, ADR 0042), locked in contracts/package-lock.json.
$(CONTRACTS_NPM): contracts/package.json contracts/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "need npm (nodejs) for solc and hardhat"; exit 1; }
	cd contracts && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

evm-node: $(CONTRACTS_NPM)

# The EVM tests' ERC-20 (contracts/TestToken.sol) compiled by the locked solc-js into the
# committed tests/exchange/wallets/chains/test_token.json (ADR 0040); run after editing it.
test-token: $(CONTRACTS_NPM)
	cd contracts && node build.js

# The spot matching core compiled with mypyc into build/ (ADR 0023); skipped when up to date.
engine-core: $(STAMP)
	$(PY) deploy/build_engine_core.py

migrate: $(STAMP) $(ASSETS)
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# deploy/Procfile under supervisord: a process that dies is restarted, Ctrl-C stops all.
run: seed engine-core
	$(PY) -m exchange.supervise

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy matching_engine matching_client exchange api admin_ui web

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

# The whole suite on the compiled core, then the engine's own suite again on the pure one
# (ENGINE_PURE_TESTS= skips that second run).
ENGINE_PURE_TESTS ?= tests/matching_engine
pytest: $(STAMP) $(ASSETS) $(CONTRACTS_NPM) engine-core
	$(PY) manage.py makemigrations --check --dry-run
	MATCHING_ENGINE_REQUIRE_COMPILED=1 $(VENV)/bin/pytest $(PYTEST_ARGS)
	$(if $(ENGINE_PURE_TESTS),MATCHING_ENGINE_PURE=1 $(VENV)/bin/pytest -q $(ENGINE_PURE_TESTS))

test: lint typecheck contracts pytest

# The browser tests (headless Chromium) save every page they check in var/screenshots/;
# the README's pictures (dashboard, trading screen) are copied from there.
screenshots: $(STAMP) $(ASSETS)
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/browser
	mkdir -p docs/img docs/images
	cp var/screenshots/dashboard-trading.png docs/img/dashboard-trading.png
	cp var/screenshots/web-trade-filled.png docs/images/trading-page.png

clean:
	rm -rf $(VENV) var build assets/node_modules assets/dist contracts/node_modules .pytest_cache .mypy_cache .ruff_cache
