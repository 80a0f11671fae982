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

## The stateful property tests at length (not in CI, whose run has 15 sequences per machine):
## SOAK_EXAMPLES generated sequences of 25 steps on each of the two machines (the cluster, Hyper-V
## Replica), 10,000 in all, one process per machine, each on its own database. Stopped and failed after
## SOAK_TIMEOUT (see docs/engine.md, "Soak and races", for the time it takes). FCM_SOAK_SEED=n: other sequences.
SOAK_EXAMPLES ?= 5000
SOAK_TIMEOUT ?= 12h
SOAK = timeout $(SOAK_TIMEOUT) env FCM_SOAK_EXAMPLES=$(SOAK_EXAMPLES) $(PY) -m pytest tests/integration/test_invariants.py \
	--hypothesis-show-statistics -q
soak: $(STAMP)
	FCM_TEST_DB=var/soak-cluster.sqlite3 $(SOAK) -k cluster & cluster=$$!; \
	FCM_TEST_DB=var/soak-replica.sqlite3 $(SOAK) -k replica; replica=$$?; \
	wait $$cluster && exit $$replica

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .import_linter_cache .ruff_cache
