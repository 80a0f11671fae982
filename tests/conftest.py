"""Fixtures shared by the integration and browser suites."""
import pytest
from django.contrib.auth import get_user_model
from django_ratelimit import core as ratelimit_core

from fcm.engine import labfile
from fcm.inventory.generate import generate


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("trainee1", password="correct-horse-9")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("trainee2", password="correct-horse-9")


@pytest.fixture
def r2_lab(owner):
    return labfile.load(labfile.lab_path("live-migration-2008r2"), owner)


@pytest.fixture
def lab_2008(owner):
    return labfile.load(labfile.lab_path("quick-migration-2008"), owner)


@pytest.fixture
def make_generated_lab(owner):
    def make(nodes=4, vms=20, name=None, os_version="2019"):
        return generate(owner, nodes=nodes, vms=vms, name=name, os_version=os_version)
    return make


@pytest.fixture
def replica_lab(owner):
    return labfile.load(labfile.lab_path("replica-dr-2012"), owner)


class RateLimitClock:
    """Stands in for the `time` module inside django_ratelimit.core, whose only use of it is `time.time()`
    (the window a count falls in, and the seconds left in it)."""

    #: 2026-01-01 00:00 UTC: any fixed instant will do; it never moves unless a test moves it.
    START = 1_767_225_600.0

    def __init__(self):
        self.now = self.START

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture(autouse=True)
def ratelimit_clock(monkeypatch):
    """django-ratelimit counts in fixed windows aligned to the wall clock (`_get_window` reads
    `time.time()`): a window that ends while a test is making its attempts starts the count again, and
    the test sees a success where it expected a refusal. Each test runs in one frozen window;
    `ratelimit_clock.advance(seconds)` moves to a later one."""
    clock = RateLimitClock()
    monkeypatch.setattr(ratelimit_core, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache
    cache.clear()
    yield
