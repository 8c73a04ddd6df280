# Customer relationship lifecycle and CLV study.
# `make report` and `make test` are all a new user needs: each builds the environment first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-installed-stamp
BENCH_VENV := bench/.venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-stamp
PYTEST_ARGS ?=
LAB_ARGS ?=
PARAMS ?=
REPORT_ARGS ?=
SEGMENT_ARGS ?=
BENCH_ARGS ?=
LOGS ?=
LOGS_ARGS ?=
LINT_PATHS := src tests bench $(wildcard notebooks/*.py)

.DEFAULT_GOAL := help
.PHONY: help env report segments test test-all test-logs test-spark lint format lab bench notebooks clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

env: $(STAMP) ## create .venv from requirements.lock (re-runs only when the lock changes)

report: $(STAMP) ## build the whole study into reports/: every report, the segment studies, index.html (2 notebooks at a time); PARAMS=notebooks/params/x.yaml REPORT_ARGS="--no-segments"
	$(PY) -m analysis.report $(if $(PARAMS),--params $(PARAMS)) $(REPORT_ARGS)

segments: $(STAMP) ## rebuild only the segment studies into reports/segments/ (SEGMENT_ARGS="--segmentation value_matrix -p customers_path reports/customers.parquet")
	$(PY) -m analysis.report.segment_studies $(SEGMENT_ARGS)

lint: $(STAMP) ## check the code with ruff: its lint rules and its formatting (make format fixes the latter)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: $(STAMP) ## format the code with ruff (rewrites files in place)
	$(VENV)/bin/ruff format $(LINT_PATHS)

test: $(STAMP) lint ## lint, run the tests (pytest) and check the notebooks' stored outputs (nbval)
	MPLBACKEND=Agg $(PY) -m pytest -m "not slow and not spark" -n 2 $(PYTEST_ARGS) tests
	$(PY) -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS)

test-all: $(STAMP) lint ## lint and run every test, the slow ones included, and the notebooks
	MPLBACKEND=Agg $(PY) -m pytest -n 2 $(PYTEST_ARGS) tests
	$(PY) -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS)

test-logs: $(STAMP) ## the whole study on every log of the corpus (notebooks/params/corpus/), checked; LOGS="two_months apparel" LOGS_ARGS=--each-notebook
	MPLBACKEND=Agg $(PY) -m analysis.report.check_logs $(LOGS) $(LOGS_ARGS)

$(SPARK_STAMP): requirements-spark.lock $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
	@touch $(SPARK_STAMP)

test-spark: $(SPARK_STAMP) ## install PySpark (requirements-spark.lock; needs Java 17) and run the Spark tests, local mode
	MPLBACKEND=Agg $(PY) -m pytest -m spark -p no:cacheprovider $(PYTEST_ARGS) tests

notebooks: $(STAMP) ## sync each notebook with its paired script (notebooks/*.py, jupytext) and store fresh outputs
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb
	cd notebooks && for nb in [0-9][0-9]_*.ipynb segment_study.ipynb; do \
		echo "executing $$nb"; \
		../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --KernelManager.transport=ipc $$nb || exit 1; \
	done
	rm -f notebooks/kernel-ipc-*

lab: $(STAMP) ## open JupyterLab on the project (--allow-root added for root; more flags: LAB_ARGS="--port=9999")
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root) $(LAB_ARGS)

$(BENCH_STAMP): bench/requirements-bench.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-bench.txt
	@touch $(BENCH_STAMP)

bench: $(STAMP) ## benchmark against lifetimes (separate venv); writes reports/bench.md (BENCH_ARGS="--only spark ...")
	@if [ -f bench/requirements-bench.txt ]; then $(MAKE) --no-print-directory $(BENCH_STAMP); fi
	@if [ -f bench/run.py ]; then $(PY) bench/run.py $(BENCH_ARGS); else echo "no benchmarks yet (bench/run.py)"; fi

clean: ## remove generated files (reports, caches, data/interim); never data/raw
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf data/interim .pytest_cache .hypothesis
	find . -name __pycache__ -type d -not -path "./.venv/*" -prune -exec rm -rf {} +
