# Sigillo: `make demo` (set-up, then the main job on samples/) and `make test` (set-up, then the tests).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIGILLO := $(BIN)/sigillo
DEMO := demo-archive

.PHONY: setup system venv demo test lint samples clean

setup: system venv

system:
	@PY=$(PY) bash scripts/setup-system.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

demo: setup
	rm -rf $(DEMO)
	$(SIGILLO) --home $(DEMO) init
	$(SIGILLO) --home $(DEMO) ingest samples/corpus --exclude '*.json'
	$(SIGILLO) --home $(DEMO) search raccomandata
	$(SIGILLO) --home $(DEMO) search '"amount due"'
	$(SIGILLO) --home $(DEMO) search doc_type:invoice --sort amount --limit 3 --facet buyer_name
	$(SIGILLO) --home $(DEMO) case --list --as-of 2025-03-01
	$(SIGILLO) --home $(DEMO) case 'Rossi Costruzioni' --as-of 2025-03-01
	$(SIGILLO) --home $(DEMO) show $$(sha256sum samples/corpus/invoice-it-01.png | cut -c1-12)
	$(SIGILLO) --home $(DEMO) verify
	$(SIGILLO) --home $(DEMO) log -n 5

lint: venv
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/python -m pytest

samples: venv
	$(BIN)/python samples/generate.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
