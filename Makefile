# Two commands work from a fresh clone: `make demo` and `make test` (each creates .venv and installs into it).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
RUN := $(VENV)/bin/forfaits
export UV_PYTHON_DOWNLOADS := never
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_LOGGING_LEVEL ?= WARNING

DEMO_DIR ?= data/demo
BENCH_SCALE ?= 0.1
CHROMIUM ?= /usr/bin/chromium

.PHONY: install demo test bench lint clean navigateur

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(UV) || ($(PY) -m venv $(VENV) && $(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8)
	$(UV) sync --frozen --inexact --quiet
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/python -m flows.demo --dir $(DEMO_DIR)

# the report's test renders it in Debian's chromium: installed here when missing and apt-get can
navigateur:
	@test -x $(CHROMIUM) || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium is missing and could not be installed: the report's browser test will say so"

test: install navigateur
	FORFAITS_CHROMIUM=$(CHROMIUM) $(VENV)/bin/python -m pytest

bench: install
	$(VENV)/bin/python -m flows.bench --scale 0.1
	@if [ "$(BENCH_SCALE)" != "0.1" ]; then $(VENV)/bin/python -m flows.bench --scale $(BENCH_SCALE); fi

lint: install
	$(VENV)/bin/ruff check flows transforms schemas tests
	$(VENV)/bin/ruff format --check flows transforms schemas tests

clean:
	rm -rf $(VENV) .prefect data/demo data/bench
