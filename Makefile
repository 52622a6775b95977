# Sluice: the two commands are `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install -q -c constraints.txt
SERVE_STAMP := $(VENV)/.serve-installed
TEST_STAMP  := $(VENV)/.test-installed

.PHONY: serve test lint bench install install-test install-connector-sdk postgres-server mariadb-server browser bench-tools clean generate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(SERVE_STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(TEST_STAMP): $(SERVE_STAMP) examples/native_connector/pyproject.toml
	$(PIP) -e '.[test]'
	$(PIP) --no-deps -e examples/native_connector
	$(PIP) --no-deps pysnow==0.7.17
	touch $@

install: $(SERVE_STAMP)
install-test: $(TEST_STAMP) postgres-server mariadb-server browser

## Run the server on the embedded default (SQLite + ./.sluice), 127.0.0.1:8080. Another port:
## `SLUICE_PORT=9000 make serve`; any `sluice serve` flags: `make serve ARGS="--port 9000 --workers 2"`.
serve: $(SERVE_STAMP)
	$(BIN)/sluice serve $(ARGS)

## AWS's Custom Connector SDK, for running examples/sqlite_connector (or your own) from `make serve`'s venv.
install-connector-sdk: $(SERVE_STAMP)
	$(PIP) -e '.[connector-sdk]'

## PostgreSQL server binaries for the store tests: Debian's package, installed when absent.
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the store tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; }

## MariaDB server binaries for the JDBC tests (a throwaway server per test session): Debian's package.
mariadb-server:
	@command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || { \
	  echo "installing Debian's mariadb-server for the JDBC tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q mariadb-server; }

## Chromium for the console's browser tests: Debian's package (Playwright drives it; its own browser
## download is not used), installed when absent.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the console tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

## The whole suite, from a fresh machine.
test: install-test
	$(BIN)/python tools/generate_api.py --check
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile tests

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests tools bench
	$(BIN)/mypy
	$(BIN)/lint-imports

generate: $(TEST_STAMP)
	$(BIN)/python tools/generate_api.py

## Load generator for the control-plane benchmark: Debian's wrk, installed when absent. (The
## benchmarks' Python tools - moto, simple-salesforce, the Custom Connector SDK - are test extras.)
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the control-plane benchmark"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q wrk; }

## The Snowflake benchmark's peer (write_pandas) needs pandas; it goes to its own folder, not the
## venv: pyarrow imports pandas whenever it is installed, which would add ~50 MiB to every server.
PEER_LIBS := .bench/peerlib
$(PEER_LIBS)/pandas:
	$(BIN)/pip install -q -c constraints.txt --no-deps --target $(PEER_LIBS) pandas tzdata

bench: $(TEST_STAMP) bench-tools $(PEER_LIBS)/pandas
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .sluice build *.egg-info
