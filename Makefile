# Every target creates the virtual environment it needs (.venv) on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
# Tests that touch the database run a second time on PostgreSQL when its server binaries exist.
DB_TESTS = tests/app tests/e2e

.PHONY: demo test test-sqlite test-postgres test-browser lint bench

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

test-sqlite: $(BIN)/.installed
	$(BIN)/pytest -q -m "not browser"

test-postgres: $(BIN)/.installed
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		scripts/with-postgres.sh $(BIN)/pytest -q -m "not browser" $(DB_TESTS); \
	elif [ -n "$$CI" ]; then echo "CI needs PostgreSQL (apt-get install postgresql)"; exit 1; \
	else echo "PostgreSQL not installed: skipping the PostgreSQL pass (CI runs it)"; fi
	$(MAKE) --no-print-directory test-browser

# Browser tests run in their own pytest process: Playwright's sync API keeps an event loop running
# in the main thread for the whole session, which asyncio tests cannot share. They follow the
# PostgreSQL pass, the shorter of the two (docs/testing.md), on SQLite like the demo.
test-browser: $(BIN)/.installed
	$(BIN)/pytest -q -m browser

# CI runs this before the tests (.ci/run). lint-imports checks the layer table of docs/architecture.md
# ([tool.importlinter] in pyproject.toml).
lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# A quick version of every benchmark (under 10 minutes on 2 cores): each prints JSON with its goals.
# The full runs and their results: docs/benchmarks.md. BENCH_OUT=dir keeps each script's JSON.
BENCH_OUT ?= .bench
bench: $(BIN)/.installed
	@mkdir -p $(BENCH_OUT); date +%s > $(BENCH_OUT)/.started
	$(BIN)/python bench/bot.py --seconds 1 | tee $(BENCH_OUT)/bot.json
	$(BIN)/python bench/startup.py --runs 3 | tee $(BENCH_OUT)/startup.json
	$(BIN)/python bench/pipeline.py --rates 10,50,100 --seconds 1 --out $(BENCH_OUT)/pipeline.json
	$(BIN)/python bench/intake.py --rate 1000 --seconds 3 | tee $(BENCH_OUT)/intake.json
	$(BIN)/python bench/soak.py --questions 40 --rate 10 --kills 1 --baseline-questions 10 --stall-s 60 \
		| tee $(BENCH_OUT)/soak.json
	$(BIN)/python bench/limits.py --count 300 --seconds 1 | tee $(BENCH_OUT)/limits.json
	$(BIN)/python bench/inbox_list.py --threads 1000 --chats 100 --runs 3 --out $(BENCH_OUT)/inbox_list.json
	$(BIN)/python bench/inbox_events.py --agents 20 --seconds 3 --rate 5 --out $(BENCH_OUT)/inbox_events.json
	$(BIN)/python bench/dashboards.py --claims 2000 --questions 10000 --chat-messages 2000 --days 60 --runs 3 \
		--out $(BENCH_OUT)/dashboards.json
	$(BIN)/python bench/memory.py --conversations 5000 --questions 5 --out $(BENCH_OUT)/memory.json
	$(BIN)/python bench/day.py --accounts 300 --questions 60 --minutes 0.5 --stall-s 60 --out $(BENCH_OUT)/day.json
	@if [ -n "$$MOSTRADOR_TEST_DATABASE_URL" ]; then \
		$(BIN)/python bench/pg_workers.py --workers 1,4 --per-worker 4 --latency-ms 300 --out $(BENCH_OUT)/pg_workers.json; \
	elif ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		scripts/with-postgres.sh $(BIN)/python bench/pg_workers.py --workers 1,4 --per-worker 4 --latency-ms 300 \
			--out $(BENCH_OUT)/pg_workers.json; \
	else echo "PostgreSQL not installed: skipping bench/pg_workers.py"; fi
	@echo "make bench took $$(( $$(date +%s) - $$(cat $(BENCH_OUT)/.started) )) s"
