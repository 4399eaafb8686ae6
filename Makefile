# The only documented way to set up, test, lint, benchmark and run careline.
# Every target creates .venv when missing and installs the core and every plugin (editable).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*))
EXAMPLES := $(sort $(dir $(wildcard examples/*/pyproject.toml)))
EXAMPLE_PACKAGES := $(sort $(dir $(wildcard examples/*/careline_*/__init__.py)))
STAMP := $(VENV)/.careline-installed
PG_DIR := .pg
PYTEST_ARGS ?=

.PHONY: setup demo test lint typecheck bench docs clean

$(STAMP): Makefile pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS)) $(addsuffix pyproject.toml,$(EXAMPLES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# Each plugin with its test extra (pip only warns for a plugin without one).
	$(BIN)/python -m pip install -q -e '.[dev]' $(foreach p,$(PLUGINS),-e '$(p)[test]')
	@# The examples are third-party plugins: installed the way a user would, not editable.
	$(BIN)/python -m pip install -q $(EXAMPLES)
	@touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/careline demo

lint: setup typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	@# mypy cannot follow editable installs' import hooks: it reads the sources through links.
	@mkdir -p build/typecheck && ln -sfn ../../core build/typecheck/careline
	@$(foreach p,$(PLUGINS),ln -sfn ../../$(p)/careline_$(notdir $(p)) build/typecheck/careline_$(notdir $(p));)
	@$(foreach p,$(EXAMPLE_PACKAGES),ln -sfn ../../$(p:/=) build/typecheck/$(notdir $(p:/=));)
	$(BIN)/mypy -p careline $(foreach p,$(PLUGINS),-p careline_$(notdir $(p))) $(foreach p,$(EXAMPLE_PACKAGES),-p $(notdir $(p:/=)))

test: setup lint
	bash .ci/with-postgres.sh $(PG_DIR) $(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

clean:
	bash .ci/postgres.sh stop $(PG_DIR) || true
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
