# One command each, on a fresh machine: `make test`, `make bench`.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# gpu-check runs with the machine's own Python and what it has: no venv, no pip.
SYSTEM_PYTHON ?= python3

.PHONY: test test-slow test-all bench gpu-check lint format clean

$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)  ## the equivalence suite, two processes (2571 tests; README gives the measured time)
	$(PYTHON) -m pytest -m "not slow" -n 2

test-slow: $(STAMP)  ## only the slow tests (fresh processes, data-parallel clusters); CI runs them after make test
	$(PYTHON) -m pytest -m slow -n 2

test-all: $(STAMP)  ## also the slow tests
	$(PYTHON) -m pytest -n 2

bench: $(STAMP)  ## time training steps: NumPy, TF eager / tf.function / XLA, Keras, JAX
	$(VENV)/bin/gdkit bench

gpu-check:  ## JAX on the GPU: equivalence against the oracle, then timed against the CPU (docs/gpu.md)
	$(SYSTEM_PYTHON) -m bench.gpu_check

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks gdkit-out *.egg-info
