# Quick start: `make run` serves on http://127.0.0.1:8080; `make test` runs the whole suite.
# Both create .venv and install the project into it at the versions of requirements.txt (the lock:
# what the suite last passed with); the embedded PostgreSQL needs no setup.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.txt
LOCK_TOOLS := .venv-lock
PIP_TOOLS := pip-tools==7.7.0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run check test system bench clean lock upgrade

# The lock pins every package, the test extras' too; pip refuses a lock that no longer satisfies
# pyproject.toml (run `make lock` after changing the dependencies there).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r $(LOCK) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/moderation serve

# What the tests need from Debian, where it is missing: Chromium for the browser tests (Playwright
# drives it, never downloads a browser), PgBouncer for the transaction pooling test, and, if it can be had, docker-compose so the suite
# validates docker-compose.yml where no Compose plugin is (without it that one check is skipped;
# no Docker engine is installed or needed for it).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

system:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] || \
		{ echo "Chromium is missing: run 'sudo make system' once"; exit 1; }; \
		apt-get update -qq && $(APT_INSTALL) chromium >/dev/null; }
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { [ "$$(id -u)" = 0 ] || \
		{ echo "PgBouncer is missing: run 'sudo make system' once"; exit 1; }; \
		apt-get update -qq && $(APT_INSTALL) --no-install-recommends pgbouncer >/dev/null; }
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		  $(APT_INSTALL) --no-install-recommends docker-compose >/dev/null; } || \
		echo "docker-compose not installed (as root: make system): the compose file is checked without it"

# Lint and types first: they take seconds and name the line that is wrong.
check: install
	$(VENV)/bin/ruff check moderation tests bench training data
	$(VENV)/bin/mypy

test: system install check
	$(PY) -m pytest

# The lock is written by pip-compile (pip-tools, in a venv of its own so .venv holds only what the
# lock says). `make lock` keeps the pinned versions and adds what pyproject.toml newly needs;
# `make upgrade` moves every package to the newest version pyproject.toml allows. Then `make test`
# installs the new lock and runs the suite against it: commit requirements.txt when it passes.
COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --extra test \
	--strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

$(LOCK_TOOLS)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet '$(PIP_TOOLS)'

lock: $(LOCK_TOOLS)/bin/pip-compile
	$(COMPILE)

upgrade: $(LOCK_TOOLS)/bin/pip-compile
	$(COMPILE) --upgrade

# The load generator is Debian's wrk, installed here the way `make test` installs Chromium; the
# scale-out row also needs Debian's pgbouncer (without it that row says it was skipped).
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] || \
		{ echo "wrk is missing: run 'sudo apt-get install wrk' once"; exit 1; }; \
		apt-get update -qq && $(APT_INSTALL) wrk >/dev/null; }
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && $(APT_INSTALL) --no-install-recommends pgbouncer >/dev/null; } || \
		echo "pgbouncer is missing (as root: make system): the scale-out row is skipped"
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) .pytest_cache
