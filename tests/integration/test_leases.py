"""Engines share the labs by lease (fcm/engine/leases.py): two Runners with their own engine ids, one database.

Every Runner here reads one fake wall clock that only the test moves, so lease expiry never depends on
how fast the test runs. The same tests run on SQLite (`make test`) and PostgreSQL (`make test-scaled`).
"""
import logging
from datetime import timedelta

import pytest
from django.db.models import Min
from django.utils import timezone

from fcm.engine import lifecycle, outbox
from fcm.engine.commands import moves
from fcm.engine.leases import LEASE_S, RENEW_S, share
from fcm.engine.models import EngineHeartbeat, LabLease, Operation, Outbox
from fcm.inventory.models import ClusterEvent, Lab, Node, Role
from fcm.server.loop import TICK_S

pytestmark = pytest.mark.django_db

LABS = 4


class WallClock:
    """The engines' wall clock: it moves only when the test says so."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def wall_clock(db):
    return WallClock()


@pytest.fixture
def busy_labs(owner, make_generated_lab, wall_clock):
    """Four labs, each with one live migration (about 14 s at x1) that starts at the wall clock's "now":
    each lab's clock is anchored there, however long making the labs took."""
    labs = []
    for i in range(LABS):
        lab = make_generated_lab(nodes=2, vms=2, name=f"leased-{i}")
        role = Role.objects.filter(cluster__lab=lab).select_related("owner_node").order_by("pk").first()
        target = Node.objects.filter(lab=lab).exclude(pk=role.owner_node_id).first()
        result = moves.request_moves(owner, [role], Operation.Kind.LIVE_MIGRATION, target)
        assert not result.refused, result.refused
        started = Operation.objects.get(lab=lab).started_at
        Lab.objects.filter(pk=lab.pk).update(wall_anchor=wall_clock(), sim_anchor=started)
        labs.append(lab)
    assert Operation.objects.filter(state="running").count() == LABS
    return labs


@pytest.fixture
def engines(make_runner, wall_clock, busy_labs):
    """Engines A and B, each with its own id, leases on (whatever the database's default)."""
    return {name: make_runner(clock=wall_clock, engine_id=f"engine-{name}", leases=True) for name in "AB"}


def held(name):
    return set(LabLease.objects.filter(engine_id=f"engine-{name}").values_list("lab_id", flat=True))


def tick_both(engines, wall_clock, seconds=TICK_S):
    for runner in engines.values():
        runner.tick()
    wall_clock.advance(seconds)


def split(engines, wall_clock):
    """A starts alone and takes every lab; B starts; within two passes each holds its share."""
    engines["A"].tick()
    assert len(held("A")) == LABS
    tick_both(engines, wall_clock)
    tick_both(engines, wall_clock)


def test_two_engines_take_disjoint_labs_that_cover_every_lab(engines, wall_clock, busy_labs, caplog):
    caplog.set_level(logging.INFO, logger="fcm.engine.leases")
    split(engines, wall_clock)
    a, b = held("A"), held("B")
    assert not a & b
    assert a | b == {lab.pk for lab in busy_labs}
    assert len(a) == len(b) == share(LABS, 2) == 2
    assert engines["A"].leases.held == a and engines["B"].leases.held == b
    said = [record.getMessage() for record in caplog.records]
    assert f"engine engine-A gave up labs {sorted(b)} to share them (2 engines alive)" in said
    assert f"engine engine-B took labs {sorted(b)} (2 engines alive)" in said


def test_each_engine_applies_only_its_own_labs_transitions(engines, wall_clock, busy_labs):
    split(engines, wall_clock)

    def phases():
        return dict(Operation.objects.values_list("lab_id", "phase_index"))

    before = phases()
    wall_clock.advance(2.5)  # every migration is into its Data Transfer
    engines["A"].tick()
    after = phases()
    assert all(after[lab_id] > before[lab_id] for lab_id in held("A"))
    assert all(after[lab_id] == before[lab_id] for lab_id in held("B"))


def test_a_labs_outbox_rows_go_only_to_its_holder(engines, wall_clock, busy_labs):
    split(engines, wall_clock)
    Outbox.objects.all().delete()
    for lab in busy_labs:
        outbox.mark(lab.pk, Outbox.Kind.CLOCK)
    _, (_, changes_a, *_) = engines["A"].tick_graded()
    assert {lab_id for lab_id, kinds in changes_a.items() if kinds} == held("A")
    assert set(Outbox.objects.values_list("lab_id", flat=True)) == held("B")  # B's rows wait for B
    _, (_, changes_b, *_) = engines["B"].tick_graded()
    assert {lab_id for lab_id, kinds in changes_b.items() if kinds} == held("B")
    assert not Outbox.objects.exists()


def test_a_lab_with_only_outbox_rows_is_taken_too(engines, wall_clock, owner, make_generated_lab):
    """A change without an operation (a clock change, a property) still needs an engine to push it."""
    idle = make_generated_lab(nodes=2, vms=0, name="idle")
    split(engines, wall_clock)
    outbox.mark(idle.pk, Outbox.Kind.CLOCK)
    tick_both(engines, wall_clock)
    assert idle.pk in held("A") | held("B")
    assert not Outbox.objects.filter(lab=idle).exists()


def test_an_expired_lease_is_taken_over_within_five_seconds(engines, wall_clock, busy_labs):
    """B is killed (it renews nothing): LEASE_S after its last pass, its labs are A's at A's next pass."""
    assert LEASE_S + TICK_S < 5
    split(engines, wall_clock)
    b_labs = held("B")
    expires = LabLease.objects.filter(engine_id="engine-B").aggregate(Min("expires_at"))["expires_at__min"]
    assert expires == wall_clock() - timedelta(seconds=TICK_S) + timedelta(seconds=LEASE_S)  # B's last pass
    wall_clock.now = expires - timedelta(seconds=TICK_S)
    engines["A"].tick()
    assert held("B") == b_labs  # B's leases still run: A waits
    wall_clock.now = expires
    engines["A"].tick()
    assert held("A") == {lab.pk for lab in busy_labs}
    assert not held("B")


def test_an_engine_that_stops_gives_its_labs_up_at_once(engines, wall_clock, busy_labs):
    split(engines, wall_clock)
    engines["B"].leases.release(wall_clock())
    assert not EngineHeartbeat.objects.filter(engine_id="engine-B").exists()
    engines["A"].tick()
    assert held("A") == {lab.pk for lab in busy_labs}


def test_every_migration_completes_exactly_once_across_a_takeover(engines, wall_clock, busy_labs):
    """B dies mid-way; A finishes B's migrations; each step is applied once (VM on its target, one
    completion, no event twice)."""
    split(engines, wall_clock)
    tick_both(engines, wall_clock, 1)
    del engines["B"]
    for _ in range(240):
        if not Operation.objects.filter(state__in=Operation.ACTIVE).exists():
            break
        tick_both(engines, wall_clock, 1)
    ops = Operation.objects.select_related("virtual_machine", "role")
    assert [op.state for op in ops] == ["completed"] * LABS
    for op in ops:
        assert op.phase_index == len(op.phases)
        assert op.virtual_machine.host_node_id == op.target_node_id == op.role.owner_node_id
    events = list(ClusterEvent.objects.values_list("lab_id", "event_id", "sim_time", "description"))
    assert len(events) == len(set(events))


def test_a_stalled_engine_cannot_apply_a_step_its_successor_applied(engines, wall_clock, busy_labs):
    """The last line of defence: B stalls past its lease holding a lab's operation as it read it; A takes
    the lab and applies the due step; B's late attempt at the same step changes nothing."""
    split(engines, wall_clock)
    lab_id = min(held("B"))
    stale = Operation.objects.select_related("lab").get(lab_id=lab_id)
    wall_clock.advance(LEASE_S + 1)
    engines["A"].tick()
    assert lab_id in held("A")
    applied = Operation.objects.get(pk=stale.pk)
    assert applied.phase_index > stale.phase_index
    events = ClusterEvent.objects.count()
    assert not lifecycle.advance(stale, stale.lab.sim_now(wall_clock()))
    assert Operation.objects.get(pk=stale.pk).phase_index == applied.phase_index
    assert ClusterEvent.objects.count() == events


def test_with_leases_off_one_engine_works_every_lab(make_runner, wall_clock, busy_labs):
    """The embedded setup (SQLite's default): no lease rows, every lab's transitions and outbox."""
    runner = make_runner(clock=wall_clock, engine_id="embedded", leases=False)
    before = dict(Operation.objects.values_list("lab_id", "phase_index"))
    wall_clock.advance(2.5)
    _, (_, changes, *_) = runner.tick_graded()
    assert set(changes) == {lab.pk for lab in busy_labs}
    assert not LabLease.objects.exists() and not EngineHeartbeat.objects.exists()
    assert all(phase_index > before[lab_id] for lab_id, phase_index in Operation.objects.values_list(
        "lab_id", "phase_index"))


def test_renewals_between_passes_keep_a_slow_engines_labs(engines, wall_clock, busy_labs):
    """B's pass takes longer than a lease; its renewals (runengine's Renewer thread, every RENEW_S) keep its
    labs and its place among the engines alive."""
    split(engines, wall_clock)
    b_labs = held("B")
    for _ in range(3):
        wall_clock.advance(RENEW_S)
        engines["B"].leases.renew(wall_clock())
    wall_clock.advance(RENEW_S)
    engines["A"].tick()  # 4 s after B's last pass
    assert held("B") == b_labs and not held("A") & b_labs
