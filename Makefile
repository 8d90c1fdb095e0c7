# The two front doors: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# checkov (tests/chart/test_checkov.py) lives in a venv of its own: its pins clash with ours.
CHECKOV_VENV := .checkov-venv
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp

.PHONY: test install demo demo-chart lint constraints clean soak

$(STAMP): requirements-dev.txt constraints.txt web/requirements.txt operator/requirements.txt pipelines/nuclei/requirements.txt tools/install_kube_binaries.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) tools/install_kube_binaries.py $(VENV)/bin
	touch $@

install: $(STAMP) $(CHECKOV_STAMP)

# The suite on both cores: pytest-xdist, a test module per worker at a time, `alone` tests with
# no other beside them (tests/fixtures/run_alone.py); modules in collection order (xdist's default
# puts the one-test modules, the longest, last). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
test: $(STAMP) $(CHECKOV_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile \
	  --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

# The long soak (bench/soak.py; a short one runs in `make test`): 200 runs at
# MAX_CONCURRENT_RUNS=1, then 200 at 3, two operator replicas SIGKILLed at random, API faults
# throughout. Prints the figures, writes them to test-output/soak.json, fails on a broken
# invariant. SOAK_ARGS="--seed 9 --runs 50" to vary it.
soak: $(STAMP)
	mkdir -p test-output
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m bench.soak --json test-output/soak.json $(SOAK_ARGS)

lint: $(STAMP)
	$(VENV)/bin/hadolint Dockerfile.web Dockerfile.operator pipelines/*/Dockerfile
	PYTHONPATH=web $(VENV)/bin/lint-imports --no-cache  # the web apps' layers (.importlinter)

$(CHECKOV_STAMP): tools/checkov-requirements.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check -r tools/checkov-requirements.txt
	touch $@

# Re-pin every transitive package after changing a requirements file.
constraints:
	rm -rf /tmp/ksc-constraints-venv
	$(PYTHON) -m venv /tmp/ksc-constraints-venv
	/tmp/ksc-constraints-venv/bin/pip install -q -r requirements-dev.txt
	( echo "# Pins for every transitive package, from 'pip freeze' of a fresh .venv (make constraints)."; \
	  /tmp/ksc-constraints-venv/bin/pip freeze | grep -v '^pip==' ) > constraints.txt

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache

# The whole stack on this machine: PostgreSQL, API-server double + Job runner, operator, web.
demo: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) tools/demo.py

# The Helm chart on this machine: real helm installs it on the API-server double (PostgreSQL,
# hooks, CRDs, web and operator pods from this checkout); prints the URL and a login.
demo-chart: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) tools/demo_chart.py
