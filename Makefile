# One entry point for set-up, build, serve, test and bench. Every target installs what it
# needs (pip into .venv, npm from the lockfile, Debian's chromium, firefox-esr and WebKitGTK
# for the browser tests).
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

# Debian packages, installed as root (or with sudo) when the program they ship is absent.
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); fi

/usr/bin/chromium:
	@$(call APT_INSTALL,chromium)

# The other engines' smoke walks (tests/browsers): Firefox ESR, and WebKitGTK's MiniBrowser
# with its WebDriver on a virtual X display; one apt run (a grouped target) for any missing.
OTHER_BROWSERS := /usr/bin/firefox-esr /usr/bin/WebKitWebDriver /usr/bin/Xvfb
$(OTHER_BROWSERS) &:
	@$(call APT_INSTALL,firefox-esr webkit2gtk-driver xvfb)

setup: .venv/.installed node_modules/.installed

site: setup
	$(PY) -m sitebuild

serve: site
	@echo "Serving the book at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _book

# Two test processes (pytest-xdist): the browser tests mostly wait on a browser, and the
# suite fits CI's 15 minutes only in parallel. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: setup /usr/bin/chromium $(OTHER_BROWSERS) site
	$(PY) -m pytest -n $(TEST_WORKERS) tests

# BENCH_ARGS: e.g. --quick, --only local,slow, --book PATH (python -m bench --help)
bench: setup /usr/bin/chromium site
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf _book _build .cache
