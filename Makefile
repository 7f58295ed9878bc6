# Every target works from a fresh clone: each one first runs `setup`, which is a no-op when up to date.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DEVHOST_PORT ?= 7071
EMULATOR_PORT ?= 8443

SECOND_DEVHOST_PORT ?= 7072

.PHONY: setup browser run second-devhost test bench lint clean

TOOLS := $(VENV)/tools
CHECKOV_VERSION := 3.3.30

setup: $(VENV)/.installed $(TOOLS)/.installed node_modules/.installed browser

# The dashboard's browser tests drive Debian's Chromium and its driver, installed here when missing (as root or with
# password-less sudo);
# otherwise those tests skip, naming the missing package.
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "$(BROWSER_PACKAGES) missing and not root: run 'sudo apt-get install $(BROWSER_PACKAGES)', or the dashboard's browser tests skip"; exit 0; fi; \
	command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: install $(BROWSER_PACKAGES), or the dashboard's browser tests skip"; exit 0; }; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) \
	|| { $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); } \
	|| echo "could not install $(BROWSER_PACKAGES): the dashboard's browser tests will skip"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# checkov pins packages the app pins differently: it gets its own venv.
$(TOOLS)/.installed: Makefile $(VENV)/.installed
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	# checkov's own pycep-parser (0.5.1) cannot parse 7 of infra/'s files and then skips them silently.
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps pycep-parser==0.7.1
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	DEVHOST_PORT=$(DEVHOST_PORT) EMULATOR_PORT=$(EMULATOR_PORT) $(PY) -m devhost.stack

# A second instance of the app against the stack `make run` started (same emulator and Azurite), for scale-out trials.
second-devhost: setup
	$(PY) -m devhost.stack --second $(SECOND_DEVHOST_PORT)

# The end-to-end suites of the API, the events and the sweep run a second time against an emulator that lets the
# app do only what infra/ grants it (least privilege, proved rather than asserted).
ENFORCED_SUITES := tests/e2e/test_least_privilege.py tests/e2e/test_cache_rules_api.py \
	tests/e2e/test_api_under_attack.py tests/e2e/test_events.py tests/e2e/test_sweep.py

test: setup
	$(PY) -m pytest -q
	EMULATOR_ENFORCE_INFRA=$(CURDIR)/infra $(PY) -m pytest -q $(ENFORCED_SUITES)

bench: setup
	$(PY) -m bench

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) node_modules .local .pytest_cache .mypy_cache .ruff_cache
