# Two commands do all set-up on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kiprank-installed
YEAR ?= 2022
REGION ?= klaten

.PHONY: report test venv compile lab bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Byte-compiled once here (a no-op when up to date): the report's kernel imports kiprank afresh
# on every run, and some environments set PYTHONDONTWRITEBYTECODE.
compile: $(STAMP)
	$(PY) -m compileall -q kiprank

report: compile
	$(VENV)/bin/kiprank report --year $(YEAR) --region $(REGION)

test: compile
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax tests kiprank/notebooks

# JupyterLab on the package's notebooks. Jupyter refuses to run as root unless told, so
# --allow-root is passed only when root runs it; LAB_ARGS adds options (e.g. --no-browser --port=0).
LAB_STAMP := $(VENV)/.kiprank-lab-installed
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=

$(LAB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,lab]'
	touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS) kiprank/notebooks

bench: compile
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
