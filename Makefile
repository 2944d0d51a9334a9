# The two commands of the README: `make run` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run serve test setup test-setup lint migrate

# The demo: the service on SQLite (var/demo/) with a simulated Asterisk calling in; `make serve` for a real one.
run: setup
	$(VENV)/bin/callcenter demo

serve: setup migrate
	$(VENV)/bin/callcenter serve

test: test-setup
	$(PY) -m ruff check callcenter tests benchmarks migrations
	$(PY) -m pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

migrate: setup
	$(VENV)/bin/callcenter db upgrade

# Browser tests drive Debian's chromium; install it when the machine lacks it.
test-setup: setup
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(PY) -m ruff check callcenter tests benchmarks migrations
