# The two commands: `make run` (the storefront on its embedded defaults) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint clean chromium caddy bench bench-provisioning chaos

# The translations (translations/*/LC_MESSAGES/messages.po) are compiled here; the .mo
# files are never committed. A catalog changed later is compiled again by the next run or test.
MO := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m babel.messages.frontend compile -d translations
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(PY) -m babel.messages.frontend compile -i $< -o $@

run: $(STAMP) $(MO)
	$(PY) -m devstack

# Two xdist workers, each with its own PostgreSQL, Redis and fakes; coverage combined over
# them, with its floor in pyproject.toml ([tool.coverage.report] fail_under).
test: $(STAMP) $(MO) chromium caddy
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --cov --cov-report=term $(PYTEST_ARGS)

# The browser walk-through drives Debian's Chromium (Playwright downloads no browser).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The edge test (tests/edge) runs Debian's Caddy from deploy/ with its own CA, ports and data;
# the package's own service, if it starts, is left alone (the test uses none of its ports).
caddy:
	@command -v caddy >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >/dev/null; }

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
