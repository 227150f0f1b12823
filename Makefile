# Every target creates the virtual environment it needs (.venv) on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
# Tests that touch the database run a second time on PostgreSQL when its server binaries exist.
DB_TESTS = tests/app tests/e2e

.PHONY: demo test test-sqlite test-postgres lint bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/mostrador demo

# The SQLite and PostgreSQL passes run side by side (one pytest process each, on a 2-core machine):
# the suite takes about as long as its longer pass instead of their sum.
test: $(BIN)/.installed
	$(MAKE) --no-print-directory -j2 test-sqlite test-postgres

# Browser tests run in their own pytest process: Playwright's sync API keeps an event loop running
# in the main thread for the whole session, which asyncio tests cannot share.
test-sqlite: $(BIN)/.installed
	$(BIN)/pytest -q -m "not browser"
	$(BIN)/pytest -q -m browser

test-postgres: $(BIN)/.installed
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		scripts/with-postgres.sh $(BIN)/pytest -q -m "not browser" $(DB_TESTS); \
	elif [ -n "$$CI" ]; then echo "CI needs PostgreSQL (apt-get install postgresql)"; exit 1; \
	else echo "PostgreSQL not installed: skipping the PostgreSQL pass (CI runs it)"; fi

# CI runs this before the tests (.ci/run). lint-imports checks the layer table of docs/architecture.md
# ([tool.importlinter] in pyproject.toml).
lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(BIN)/.installed
	$(BIN)/python bench/bot.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/intake.py
