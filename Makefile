VENV ?= .venv
PY := $(VENV)/bin/python
# A real Maloja server for the tests, in an environment of its own (tests/maloja_server.py).
MALOJA_VENV ?= .venv-maloja
MALOJA_REQUIREMENTS := tests/maloja-requirements.txt

.PHONY: install install-bench maloja shells test lint bench sample

# Development: the package, editable, with what the tests need (no benchmark profiler).
install: maloja shells
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[test]'

# What `make bench` needs besides (pyinstrument).
install-bench: install
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'

# Rebuilt only when missing or when the pinned requirements change; nothing is fetched in tests.
maloja: $(MALOJA_VENV)/bin/maloja

$(MALOJA_VENV)/bin/maloja: $(MALOJA_REQUIREMENTS)
	python3 -m venv --clear $(MALOJA_VENV)
	$(MALOJA_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(MALOJA_REQUIREMENTS)
	touch $@

# The completion tests run real zsh and fish (bash is always there): Debian's packages.
shells:
	@command -v zsh >/dev/null && command -v fish >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq zsh fish >/dev/null; }

test:
	$(PY) -m pytest -q -n auto

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

sample:
	$(VENV)/bin/koito-import maloja samples/maloja-export.json

bench:
	$(PY) -m bench.run $(BENCH_ARGS)
