# Quick start: `make run` serves on http://127.0.0.1:8080; `make test` runs the whole suite.
# Both create .venv and install the project into it; the embedded PostgreSQL needs no setup.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test system bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/moderation serve

# What the tests need from Debian, where it is missing: Chromium for the browser tests (Playwright
# drives it, never downloads a browser), and docker-compose so the suite validates
# docker-compose.yml when no Compose plugin is installed (no Docker engine is needed for that).
SYSTEM_PACKAGES := $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(shell command -v docker-compose || docker compose version 2>/dev/null),,docker-compose)

system:
	@test -z "$(strip $(SYSTEM_PACKAGES))" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; }

test: install system
	$(PY) -m pytest

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
