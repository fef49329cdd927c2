# Kijani: `make run` starts everything on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test lint install db seed bench bench-quick clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kijani needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

db: install
	$(BIN)/flask db upgrade

seed: db
	$(BIN)/flask seed

run: seed
	@bash scripts/run-dev.sh

test: install
	@bash scripts/test.sh

lint: install
	$(BIN)/ruff check .

# PostgreSQL on 127.0.0.1:5432 and Redis on :6379; see docs/PERFORMANCE.md.
bench: install
	$(BIN)/python bench/run.py --size full --duration 30

bench-quick: install
	$(BIN)/python bench/run.py --size quick --duration 15

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
