"""Fixtures shared by the integration and browser suites."""
import pytest
from django.contrib.auth import get_user_model

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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache
    cache.clear()
    yield
