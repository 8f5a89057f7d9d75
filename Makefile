VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install install-bench test lint bench sample

# Development: the package, editable, with what the tests need (no benchmark profiler).
install:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[test]'

# What `make bench` needs besides (pyinstrument).
install-bench: install
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'

test:
	$(PY) -m pytest -q -n auto

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

sample:
	$(VENV)/bin/koito-import maloja samples/maloja-export.json

bench:
	$(PY) -m bench.run $(BENCH_ARGS)
