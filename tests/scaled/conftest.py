"""The scaled suite: two daphne processes and one engine on PostgreSQL + Redis, driven by Chromium.

Run by `make test-scaled` (tests/scaled/run.py), which starts the services
and sets DATABASE_URL and REDIS_URL. The processes here use that database
itself (not a test database): the suite owns it for the run.
"""
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

from tests.browser.conftest import (  # noqa: E402,F401  (the browser suite's Chromium and CI rules)
    browser_context_args, browser_type_launch_args, pytest_collection_modifyitems, pytest_runtest_logreport,
    pytest_sessionfinish,
)
from tests.scaled.services import _wait_port, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent


def pytest_configure(config):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("tests/scaled runs under `make test-scaled` (PostgreSQL and Redis)")


def manage(*args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True, timeout=300).stdout


class Processes:
    """daphne A and B (no engine in either) and `manage.py runengine`, each restartable; any other name
    that starts with "engine" is one more engine, with that name as its engine id."""

    def __init__(self):
        self.ports = {"A": free_port(), "B": free_port()}
        self.procs = {}

    def start(self, name):
        log = open(Path(os.environ.get("FCM_SCALED_ROOT", "/tmp")) / f"{name}.log", "ab")
        if name.startswith("engine"):
            cmd = ["manage.py", "runengine", "--engine-id", name]
        else:
            cmd = ["manage.py", "serve", "--no-engine", "--no-link", "--port", str(self.ports[name])]
        self.procs[name] = subprocess.Popen([sys.executable, *cmd], cwd=ROOT, stdout=log, stderr=log)
        if name in self.ports:
            _wait_port(self.ports[name])

    def kill(self, name, sig=9):
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def url(self, name):
        return f"http://127.0.0.1:{self.ports[name]}"

    def sign_in_link(self, name):
        return manage("loginlink", "--base-url", self.url(name)).strip()

    def stop(self):
        for name in list(self.procs):
            self.kill(name, 15)


@pytest.fixture(scope="session")
def processes():
    manage("migrate", "--noinput", "-v0")
    manage("loadlab", "--demo", "--if-empty")
    procs = Processes()
    for name in ("A", "B", "engine"):
        procs.start(name)
    yield procs
    procs.stop()
    restarted_redis = os.environ.get("FCM_SCALED_REDIS_PID")
    if restarted_redis and os.environ.get("FCM_SCALED_REDIS_RESTARTED"):
        os.kill(int(restarted_redis), 15)  # the fault test's own Redis (run.py stops the one it started)
