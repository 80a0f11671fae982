"""Two engines share the labs by lease (fcm/engine/leases.py): kill -9 one mid-drain, the other finishes.

The suite's engine ("engine") runs from the start; a second one joins, and the two split the labs that
have work. The one holding more of the draining labs is killed: the other takes its labs over and every
move completes exactly once (tests/scaled/drains.py audits it). How fast the takeover is goes in
bench/takeover.py; here the outcome counts.
"""
import pytest
from django.db import connections

from tests.scaled import drains
from tests.scaled.test_faults import wait_for

LABS = 4


@pytest.fixture
def orm(django_db_blocker):
    """The ORM on the suite's own database (the one the processes use), not a test database; on a new
    connection (the fault tests restart PostgreSQL, which ends the connections this process held)."""
    with django_db_blocker.unblock():
        connections.close_all()
        yield
        drains.clean_up()


def test_two_engines_split_the_labs_and_one_takes_over_when_the_other_is_killed(processes, orm):
    processes.start("engine2")
    # x1: the drains outlast the split and the takeover even when a pass takes seconds on a busy machine.
    drained = drains.start_drains([drains.generate_lab(i, vms=24) for i in range(LABS)], speed=1)
    labs = set(drained)
    # Both engines hold some of the draining labs (the first one gives up its excess to the second).
    assert wait_for(lambda: drains.split_between(("engine", "engine2"), labs), 60, 0.1), drains.holders(labs)
    held = drains.holders(labs)
    victim = max(("engine", "engine2"), key=lambda name: list(held.values()).count(name))
    survivor = "engine2" if victim == "engine" else "engine"
    victims_labs = {lab for lab, engine in held.items() if engine == victim}
    assert drains.busy(victims_labs), "the drains ended before the kill: slow the clock down"
    processes.kill(victim)
    try:
        assert wait_for(lambda: all(drains.holders(labs).get(lab) == survivor for lab in drains.busy(victims_labs)),
                        30, 0.1), drains.holders(labs)
        assert wait_for(lambda: not drains.busy(labs), 240, 0.5), drains.busy(labs)
        assert drains.audit(drained) == (0, 0)  # (lost, doubled)
    finally:  # the suite's one engine again, for the tests after this one
        if "engine" not in processes.procs:
            processes.start("engine")
        if "engine2" in processes.procs:
            processes.kill("engine2", 15)
