# The two commands of the README. Everything else is set-up they do for you.
#   make demo   creates .venv, runs the observatory on the simulator and serves the dashboard
#   make test   creates .venv, installs the test browser, runs ruff and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint setup browser clean bench

demo: $(STAMP)
	$(BIN)/observatory demo

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Debian's Chromium and ChromeDriver drive the dashboard's browser tests.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench.all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
