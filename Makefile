# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run lint test test-unit test-integration test-browser test-scaled install bench soak clean

$(STAMP): requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $(STAMP)

install: $(STAMP)

## Install, migrate, load the demo labs on an empty database, serve and print a sign-in link.
run: $(STAMP)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py loadlab --demo --if-empty
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## The rules of the code (pyproject.toml): import contracts (layers of the apps, no Django in
## fcm.sim, operation kinds independent of each other) and ruff over fcm/. Both run; either fails it.
lint: $(STAMP)
	$(VENV)/bin/lint-imports; contracts=$$?; $(VENV)/bin/ruff check fcm && exit $$contracts

## Install, lint, and run the whole suite: unit + integration, then the browser suite
## (a separate pytest run: Playwright's event loop and pytest-asyncio do not mix).
test: lint
	$(PY) -m pytest tests/unit tests/integration
	$(PY) -m pytest tests/browser

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

test-integration: $(STAMP)
	$(PY) -m pytest tests/integration

test-browser: $(STAMP)
	$(PY) -m pytest tests/browser

## The integration suite and two daphne processes + one engine on PostgreSQL and Redis
## (started on loopback, and stopped, by tests/scaled/run.py; installed with apt-get when missing).
test-scaled: $(STAMP)
	$(PY) tests/scaled/run.py

## Page timings on a generated 64-node, 8,000-VM lab (figures, not a test).
bench: $(STAMP)
	$(PY) bench/pages.py

## The stateful property test with many more generated scenarios.
soak: $(STAMP)
	FCM_TEST_DB=var/soak.sqlite3 FCM_SOAK_EXAMPLES=300 $(PY) -m pytest tests/integration/test_invariants.py --hypothesis-show-statistics

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .import_linter_cache .ruff_cache
