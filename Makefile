# Colophon: `make serve` and `make test` work on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PUBLICATIONS ?= 300

.PHONY: serve test test-slow test-all lint typecheck migrate revision bench bench-http clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Migrate the embedded SQLite database, load the demo content on first run, serve on :8000.
serve: $(STAMP)
	$(BIN)/colophon migrate
	$(BIN)/colophon demo --if-empty --publications $(DEMO_PUBLICATIONS)
	$(BIN)/colophon serve

## The whole suite but the slow tests; on PostgreSQL too when COLOPHON_TEST_DATABASE_URL is set.
test: $(STAMP)
	$(BIN)/pytest -m "not slow" -n 2 --dist loadgroup

## Tests that take seconds each: real server processes, restarts.
test-slow: $(STAMP)
	$(BIN)/pytest -m slow

test-all: test test-slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy api models migrations tests bench

migrate: $(STAMP)
	$(BIN)/colophon migrate

## Autogenerate a migration from the models: make revision m="what changed"
revision: $(STAMP)
	$(BIN)/alembic revision --autogenerate -m "$(m)"

## Import speed on SQLite (and PostgreSQL when COLOPHON_TEST_DATABASE_URL is set), then bench-http; see docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python -m bench.import_speed
	$(MAKE) bench-http

## Read speed over HTTP against baselines in the same run (issue 8): make bench-http BENCH_HTTP="--duration 5"
bench-http: $(STAMP)
	$(BIN)/python -m bench.http_speed $(BENCH_HTTP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
