# One environment, built from nothing: `make test` and `make demo` both start here.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# NautilusTrader's own venv (it pins pandas < 3, so never in $(VENV)): see bench-peers.
PEERS  ?= .venv-peers

.PHONY: test demo docs lint bench bench-peers bench-scale bench-then soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# One worker per core (pytest-xdist); a module's tests stay on one worker, so its module-scoped
# fixtures are built once. Rules that keep a test xdist-safe: docs/DEVELOPMENT.md, "Tests under xdist".
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadscope

demo: $(STAMP)
	$(BIN)/trade backtest

# The documentation site from docs/ (mkdocs, Material theme), offline, links checked (--strict).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean

lint: $(STAMP)
	$(BIN)/ruff check framework strategies brokers analyzers tests benchmarks

bench: $(STAMP) $(PEERS)/.installed
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/backtest_throughput.py --repeat 3
	$(BIN)/python benchmarks/paper_cycle.py --cycles 3
	$(BIN)/python benchmarks/paper_cycle.py --cycles 4 --symbols 500
	$(BIN)/python benchmarks/data_loading.py
	$(BIN)/python benchmarks/sweep_lean.py
	$(BIN)/python benchmarks/peer_replay.py --repeat 3 --peers-python $(PEERS)/bin/python
	$(MAKE) bench-then

# Our momentum backtest's orders replayed in backtesting.py, NautilusTrader and vectorbt, timed
# beside ours (issue 31). NautilusTrader pins pandas < 3, so it gets a venv of its own,
# .venv-peers (git-ignored), and runs as a child process of the benchmark.
$(PEERS)/.installed:
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS)/bin/python -m pip install --quiet nautilus_trader backtesting pandas numpy pyarrow
	touch $@

bench-peers: $(STAMP) $(PEERS)/.installed
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/peer_replay.py --repeat 3 --peers-python $(PEERS)/bin/python

SOAK_SEEDS ?= 100-199
SOAK_STEPS ?= 100
soak: $(STAMP)
	$(BIN)/python tests/framework/live/live_sim.py --seeds $(SOAK_SEEDS) --steps $(SOAK_STEPS) --shrink --keep-going

# A sweep point now against the path issue 31 measured (commit b234b12), checked out beside us
# (.bench-then, git-ignored) with its own venv, both timed in one run.
THEN ?= .bench-then
$(THEN)/.venv/.installed:
	test -d $(THEN) || git worktree add --detach $(THEN) b234b12
	$(MAKE) -C $(THEN) .venv/.installed

bench-then: $(STAMP) $(THEN)/.venv/.installed
	$(BIN)/python benchmarks/sweep_then_now.py --then $(THEN)

# Whole-market scale (issue 31): time and peak memory of `trade backtest --no-report` on
# generated universes of 44, 500 and 5,000 symbols (minutes: the 5,000 one alone is 6 M rows),
# then the XGBoost walk-forward with its reports on 44 and 500.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py --symbols 44 500 5000
	$(BIN)/python benchmarks/scale.py --symbols 44 500 --strategy xgboost_signal --reports

clean:
	rm -rf $(VENV) $(PEERS) .pytest_cache .hypothesis runs site
	if [ -d $(THEN) ]; then git worktree remove --force $(THEN); fi
