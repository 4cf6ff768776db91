# The two commands a fresh machine needs: `make run` and `make test`.
# Everything is installed into .venv by the project itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := build/demo.gpkg
SITE := build/site_crossing.txt

.PHONY: run test lint typecheck bench demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

# Build the demo county, export one of its project sites as a ministry coordinate txt, review it.
run: $(STAMP)
	mkdir -p build
	$(BIN)/guotu demo --out $(DEMO)
	$(BIN)/guotu export --db $(DEMO) --layer sites --where demo_case=crosses_permanent_farmland --limit 1 --out $(SITE)
	$(BIN)/guotu check $(SITE) --db $(DEMO)

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/check_bench.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
