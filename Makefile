# dubkit: two commands for a fresh machine — `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= build/demo

.PHONY: setup demo test lint format clean

setup:
	@bash scripts/setup.sh

demo: setup
	@$(PY) examples/demo/build_demo.py --out $(DEMO_DIR)
	@$(VENV)/bin/dubkit dub $(DEMO_DIR)/demo.mp4 --script $(DEMO_DIR)/demo.en.srt --lang en \
		-o $(DEMO_DIR)/demo.dubbed.mp4
	@echo "demo: dubbed video at $(DEMO_DIR)/demo.dubbed.mp4 (project: $(DEMO_DIR)/demo.dubbed.dubkit/)"

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: setup
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

# the fast suite, then the slow one (training runs: DubScore, LoRA, F5, TRL), each with its wall time
test: setup lint
	@t0=$$(date +%s); $(PY) -m pytest -q -m "not slow and not gpu and not network" tests; rc=$$?; \
		echo "fast suite: $$(( $$(date +%s) - t0 )) s"; exit $$rc
	@t0=$$(date +%s); $(PY) -m pytest -q -m "slow and not gpu and not network" tests; rc=$$?; \
		echo "slow suite: $$(( $$(date +%s) - t0 )) s"; exit $$rc

clean:
	rm -rf build .pytest_cache .ruff_cache
