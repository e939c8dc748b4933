# mmdenoise: the two commands a newcomer needs are `make test` (and, with the MMEngine
# integration, `make demo`). Both set up .venv first if needed (tools/setup/bootstrap.sh).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup test clean-venv

## setup: create/refresh .venv with the pinned stack (a no-op when up to date)
setup:
	@MMDENOISE_VENV=$(abspath $(VENV)) bash tools/setup/bootstrap.sh

## test: set up if needed, then run the default (CPU) test suite and print its wall time
test: setup
	@start=$$(date +%s); \
	$(PY) -m pytest tests $(PYTEST_ARGS); rc=$$?; \
	echo "[make test] suite wall time: $$(( $$(date +%s) - start )) s"; \
	exit $$rc

## demo: set up if needed, then run DenoiseRep end to end on the embedded Fashion-MNIST subset
## (train a baseline, train its denoisers, fuse, test both, compare; a few minutes on CPU)
.PHONY: demo
demo: setup
	@start=$$(date +%s); \
	$(PY) tools/demo.py; rc=$$?; \
	echo "[make demo] wall time: $$(( $$(date +%s) - start )) s"; \
	exit $$rc

clean-venv:
	rm -rf $(VENV)
