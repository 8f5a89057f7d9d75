VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test lint bench sample

install:
	python3 -m venv $(VENV)
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
