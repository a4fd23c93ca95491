# portrait — the two commands a user needs are `make demo` and `make test`.
# Everything runs from the project's own virtual environment (.venv), created on first use.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= small
SEED ?= 42
PORT ?= 8080
# Where generated data goes: the parent of PORTRAIT_RAW_DIR (default data/raw).
DATA := $(patsubst %/,%,$(dir $(or $(PORTRAIT_RAW_DIR),data/raw)))

.PHONY: help install demo test generate build docs lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "portrait needs Python 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

install: $(BIN)/.installed  ## create .venv and install pinned dependencies

demo: install  ## set up, generate the small dataset if absent, run the nightly job (build, validate, publish), say what to open
	$(BIN)/portrait generate --scale $(SCALE) --seed $(SEED) --out $(DATA) --if-absent
	$(BIN)/portrait run
	$(BIN)/portrait summary

test: install  ## every test: pytest, dbt build + tests on tiny data, sqlfluff lint (temporary folders only)
	$(BIN)/pytest

generate: install  ## generate the dataset (SCALE=, SEED=)
	$(BIN)/portrait generate --scale $(SCALE) --seed $(SEED) --out $(DATA)

build: install  ## dbt build on the current raw data
	$(BIN)/portrait build

docs: install  ## generate and serve the dbt lineage docs on http://localhost:$(PORT)
	$(BIN)/portrait docs --port $(PORT)

lint: install  ## sqlfluff lint (needs a built warehouse: the dbt templater reads the seeds)
	PORTRAIT_HASH_KEY=$${PORTRAIT_HASH_KEY:-$$(cat .portrait_hash_key)} $(BIN)/sqlfluff lint models tests analyses snapshots

clean:  ## remove build artefacts (not the data, the warehouse or the venv)
	rm -rf target logs
