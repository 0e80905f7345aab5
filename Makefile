# One entry point for set-up, build, serve, test and bench. Every target installs what it
# needs (pip into .venv, npm from the lockfile, Debian's chromium for the browser tests).
SHELL := /bin/bash
PY    := .venv/bin/python
PORT  ?= 4200
# The same import path as _environment (which an exported PYTHONPATH overrides under Quarto).
export PYTHONPATH := $(CURDIR)/labs_wasm:$(CURDIR)/engine

.PHONY: setup site serve test bench clean

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

setup: .venv/.installed node_modules/.installed

site: setup
	$(PY) -m sitebuild

serve: site
	@echo "Serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _book

test: setup /usr/bin/chromium site
	$(PY) -m pytest tests

bench: setup /usr/bin/chromium site
	$(PY) -m bench

clean:
	rm -rf _book _build .cache
