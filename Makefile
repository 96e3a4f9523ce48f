# stswatch — every target installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB ?= demo/stswatch.duckdb

APT_PACKAGES := chromium chromium-driver poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps demo serve web test lint typecheck bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need: headless Chromium (end-to-end tests), pdftoppm (PDF
# reports checked as images) and Pango (WeasyPrint). Installed only when missing.
system-deps:
	@if command -v chromium >/dev/null && command -v pdftoppm >/dev/null \
	    && ldconfig -p | grep -q libpangoft2-1.0; then :; else \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(APT_PACKAGES); fi

demo: $(STAMP)
	bash scripts/demo.sh $(DEMO_DB)

serve: $(STAMP)
	$(BIN)/stswatch serve --db $(DEMO_DB)

# MapLibre GL JS from npm, copied into the package (the built files are committed, so a
# Python-only install has the page; run this to update them).
web: src/stswatch/serve/static/vendor/maplibre-gl-csp.js
src/stswatch/serve/static/vendor/maplibre-gl-csp.js: web/package.json web/package-lock.json web/copy-vendor.mjs
	cd web && npm ci --no-audit --no-fund && npm run build

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps lint typecheck
	$(BIN)/python -m pytest -n 2 -q

$(VENV)/.bench: $(STAMP) requirements-bench.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python bench/run.py --out docs/benchmarks.md

clean:
	rm -rf $(VENV) demo build *.egg-info .pytest_cache .mypy_cache .ruff_cache
