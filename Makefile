# One-line targets. `make run` and `make test` work on a fresh clone: they create .venv first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export OMP_NUM_THREADS ?= 1

.PHONY: run test lint format typecheck arch hadolint pytest browser demo-model serve bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hotline demo --if-missing
	$(BIN)/hotline keys ensure-demo
	$(BIN)/hotline serve

test: $(STAMP) browser lint typecheck arch hadolint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy models service training fairness hotline_cli.py

arch: $(STAMP)
	$(BIN)/lint-imports

hadolint: $(STAMP)
	$(BIN)/hadolint Dockerfile

pytest: $(STAMP)
	$(BIN)/pytest

# The report test opens HTML in a real headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the report test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: browser tests will fail"; }

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info .mypy_cache .ruff_cache .pytest_cache
