# Quick start: `make run` serves on http://127.0.0.1:8080; `make test` runs the whole suite.
# Both create .venv and install the project into it; the embedded PostgreSQL needs no setup.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run check test system bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/moderation serve

# What the tests need from Debian, where it is missing: Chromium for the browser tests (Playwright
# drives it, never downloads a browser), and, if it can be had, docker-compose so the suite
# validates docker-compose.yml where no Compose plugin is (without it that one check is skipped;
# no Docker engine is installed or needed for it).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

system:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] || \
		{ echo "Chromium is missing: run 'sudo make system' once"; exit 1; }; \
		apt-get update -qq && $(APT_INSTALL) chromium >/dev/null; }
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		  $(APT_INSTALL) --no-install-recommends docker-compose >/dev/null; } || \
		echo "docker-compose not installed (as root: make system): the compose file is checked without it"

# Lint and types first: they take seconds and name the line that is wrong.
check: install
	$(VENV)/bin/ruff check moderation tests bench
	$(VENV)/bin/mypy

test: system install check
	$(PY) -m pytest

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
