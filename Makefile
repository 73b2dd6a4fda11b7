# Two commands: `make run` (sets up and starts the bot, or the console chat without a token)
# and `make test` (sets up and runs the whole suite, with lint and type checks).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test lint bench check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

run: setup
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then exec $(PY) -m bot run; else \
		echo "TELEGRAM_BOT_TOKEN is not set: starting the console chat (type /quit to leave)."; \
		exec $(PY) -m bot chat; fi

check: setup
	$(PY) -m bot check

lint: setup
	$(PY) -m ruff check bot tests benchmarks
	$(PY) -m mypy bot

test: setup lint check
	$(PY) -m pytest -q

bench: setup
	$(PY) -m benchmarks.all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
