# Fortress — every target creates .venv and installs the locked dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit rules-doc bench clean lock

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fortress demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test: lint typecheck unit

rules-doc: $(STAMP)
	$(BIN)/python -m fortress.tools.readme_rules README.md

bench: $(STAMP)
	$(BIN)/python bench/scan_live.py 1000

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache fortress-demo

# Re-pin every dependency from a fresh environment built from pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet -e '.[dev]' setuptools wheel
	(echo "# Locked dependencies (pip freeze of a working environment). Regenerate with \`make lock\`."; \
	 .lockenv/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | grep -v '^-e') > requirements.lock
	rm -rf .lockenv
