# The two commands a fresh machine needs: `make run` and `make test`.
# Everything is installed into .venv by the project itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := build/demo.gpkg
SITE := build/site_crossing.txt
WEB_BUILT := src/guotu/web/static/index.html
WEB_SOURCES := $(wildcard web/src/*) web/build.mjs web/package.json web/package-lock.json

.PHONY: run test lint typecheck bench demo clean web

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,cluster]'
	touch $(STAMP)

# The one-map page (web/ → src/guotu/web/static), rebuilt only when its sources or the lock file change.
$(WEB_BUILT): $(WEB_SOURCES)
	cd web && npm ci --no-audit --no-fund && npm run build
	touch $(WEB_BUILT)

web: $(WEB_BUILT)

DEMO_USER := demo
DEMO_PASSWORD := pinghu-demo

# Build the demo county, review one of its project sites (exported as a ministry coordinate txt),
# add a demo planner account and serve the one-map at http://127.0.0.1:8000 (Ctrl-C stops it).
run: $(STAMP) $(WEB_BUILT)
	mkdir -p build
	$(BIN)/guotu demo --out $(DEMO)
	$(BIN)/guotu export --db $(DEMO) --layer sites --where demo_case=crosses_permanent_farmland --limit 1 --out $(SITE)
	$(BIN)/guotu check $(SITE) --db $(DEMO)
	$(BIN)/guotu user add $(DEMO_USER) --role planner --display-name 演示用户 --password $(DEMO_PASSWORD) --replace --db $(DEMO)
	@echo
	@echo "一张图 / one map:  http://127.0.0.1:8000    演示账号 demo login: $(DEMO_USER) / $(DEMO_PASSWORD)"
	@echo
	$(BIN)/guotu serve --db $(DEMO) --host 127.0.0.1 --port 8000

test: $(STAMP) $(WEB_BUILT)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	bash scripts/setup-system.sh
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Every benchmark of issue #5 (bench/README.md), one after another, then the table of targets.
bench: $(STAMP)
	bash scripts/setup-system.sh
	$(BIN)/python bench/run_all.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
