# `make run` sets up what running needs and starts the bot (or the console chat without a
# token); `make test` adds the test tools and runs the whole suite with lint and type checks.
# Both create .venv/ on first use. `make help` lists everything.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q
SUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
# One stamp per kind of install, renewed whenever pyproject.toml changes.
RUN_STAMP := $(VENV)/.installed-run-$(SUM)
TEST_STAMP := $(VENV)/.installed-test-$(SUM)
REPORT ?= report.html

.PHONY: help setup run chat check report test lint bench clean

help:
	@echo "make run     start the bot (TELEGRAM_BOT_TOKEN set) or else the console chat"
	@echo "make chat    chat with the bot in this terminal (no token, no network)"
	@echo "make check   validate knowledge/ (every problem as file:line)"
	@echo "make report  write $(REPORT), the knowledge base report for maintainers"
	@echo "make test    lint, type checks, knowledge check and the whole test suite"
	@echo "make bench   quality, speed and load benchmarks (a few minutes)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# What running needs: the project and its dependencies, no test tools.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) -e .
	rm -f $(VENV)/.installed-run-*
	touch $@

# The test tools on top (ruff, mypy, pytest, the benchmarks' baselines).
$(TEST_STAMP): $(RUN_STAMP)
	$(PIP) -e ".[test]"
	rm -f $(VENV)/.installed-test-*
	touch $@

setup: $(TEST_STAMP)

run: $(RUN_STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then exec $(PY) -m bot run; else \
		echo "TELEGRAM_BOT_TOKEN is not set: starting the console chat (type /quit to leave)."; \
		exec $(PY) -m bot chat; fi

chat: $(RUN_STAMP)
	$(PY) -m bot chat

check: $(RUN_STAMP)
	$(PY) -m bot check

report: $(RUN_STAMP)
	$(PY) -m bot report --html $(REPORT)

lint: $(TEST_STAMP)
	$(PY) -m ruff check bot tests benchmarks
	$(PY) -m mypy bot

test: $(TEST_STAMP) lint check
	$(PY) -m pytest -q

bench: $(TEST_STAMP)
	$(PY) -m benchmarks.all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
