# The two commands: `make run` (the storefront on its embedded defaults) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint clean chromium bench bench-provisioning chaos

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m devstack

# Two xdist workers, each with its own PostgreSQL, Redis and fakes; coverage combined over
# them, with its floor in pyproject.toml ([tool.coverage.report] fail_under).
test: $(STAMP) chromium
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --cov --cov-report=term $(PYTEST_ARGS)

# The browser walk-through drives Debian's Chromium (Playwright downloads no browser).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) instance

bench: $(STAMP)
	$(PY) -m bench.run_all

bench-provisioning: $(STAMP)
	$(PY) -m bench.provisioning

chaos: $(STAMP)
	$(PY) -m bench.chaos
