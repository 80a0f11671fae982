"""The engine's core: one handler per operation kind, phases keyed for behaviour, keys for stored plans."""
import importlib
import json
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fcm.engine import dump, phases, registry, status
from fcm.engine.commands import faults, moves
from fcm.engine.commands.clusters import start_validation
from fcm.engine.commands.roles import remove_role
from fcm.engine.effects.power import SAVE, request_power
from fcm.engine.errors import EngineError, MoveError
from fcm.engine.kinds.live_migration import LiveMigration
from fcm.engine.models import Operation
from fcm.inventory.models import Lab, Node, Role, VirtualMachine

pytestmark = pytest.mark.django_db
key_migration = importlib.import_module("fcm.engine.migrations.0010_phase_keys")


def role_named(lab, name):
    return Role.objects.select_related("cluster", "virtual_machine__host_node").get(cluster__lab=lab, name=name)


def test_every_kind_has_exactly_one_handler():
    handlers = registry.handlers()
    assert set(handlers) == set(Operation.Kind)
    assert all(h.kind == kind for kind, h in handlers.items())
    with pytest.raises(RuntimeError, match="already has a handler"):
        registry.register(type("Again", (LiveMigration,), {}))


def test_refusals_share_one_base():
    assert issubclass(MoveError, EngineError)
    from fcm.engine import errors
    refusals = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, EngineError) for c in refusals)


def _started_operations(lab, owner):
    """Operations of several kinds, as the console starts them."""
    role = role_named(lab, "vWS08-SQL01")
    s1, s2 = Node.objects.get(lab=lab, name="WS08R2-S1"), Node.objects.get(lab=lab, name="WS08R2-S2")
    moves.request_moves(owner, [role], Operation.Kind.LIVE_MIGRATION, s2)
    moves.request_moves(owner, [role], Operation.Kind.QUICK_MIGRATION, s2)  # refused: already moving
    start_validation(owner, lab, [s1.name, s2.name])
    faults.crash_node(owner, s2)
    return list(Operation.objects.filter(lab=lab))


def test_stored_phases_without_keys_get_the_keys_behaviour_uses(r2_lab, owner):
    ops = _started_operations(r2_lab, owner)
    assert {op.kind for op in ops} >= {"live-migration", "validation", "node-failure"}
    for op in ops:
        assert all(p["key"] for p in op.phases), op.kind
        legacy = {**op.plan, "phases": [{k: v for k, v in p.items() if k != "key"} for p in op.phases]}
        assert phases.with_keys(op.kind, legacy) == op.plan
        assert key_migration.with_keys(op.kind, legacy) == op.plan


def test_a_move_stored_before_keys_existed_still_completes(r2_lab, owner, tick_to):
    """The data migration gives a running live migration its keys; the restarted engine finishes it."""
    role = role_named(r2_lab, "vWS08-SQL01")
    s2 = Node.objects.get(lab=r2_lab, name="WS08R2-S2")
    op = moves.request_moves(owner, [role], Operation.Kind.LIVE_MIGRATION, s2).started[0]
    legacy = {**op.plan, "phases": [{k: v for k, v in p.items() if k != "key"} for p in op.phases]}
    Operation.objects.filter(pk=op.pk).update(plan=legacy)
    key_migration.add_keys(apps, None)
    op.refresh_from_db()
    assert [p["key"] for p in op.phases][-3:] == ["resume-on-target", "network-switch", "clean-up"]
    tick_to(r2_lab, op.total_s + 1)
    op.refresh_from_db()
    role.refresh_from_db()
    assert op.state == "completed" and role.owner_node == s2


def test_an_older_dump_loads_with_keys_and_moved_models(r2_lab, owner):
    role = role_named(r2_lab, "vWS08-SQL01")
    moves.request_moves(owner, [role], Operation.Kind.LIVE_MIGRATION, Node.objects.get(lab=r2_lab, name="WS08R2-S2"))
    start_validation(owner, r2_lab, ["WS08R2-S1", "WS08R2-S2"])
    data = json.loads(dump.dumps(r2_lab))
    for record in data["records"]:
        if record["model"] == "engine.ValidationReport":
            record["model"] = "wizards.ValidationReport"
        if record["model"] == "engine.Operation":
            for p in record["fields"]["plan"]["phases"]:
                del p["key"]
    copy = dump.load(data, owner, name="older-dump")
    ops = Operation.objects.filter(lab=copy)
    assert ops.count() == 2 and copy.validation_reports.count() == 1
    assert all(p["key"] for op in ops for p in op.phases)
    assert Lab.objects.filter(name="older-dump").exists()


def test_a_failed_state_change_of_an_unclustered_vm_logs_nothing_and_ends(r2_lab, owner, tick_to):
    """Its host crashes while an unclustered VM saves: the change fails (no cluster event to write), and the
    engine carries on."""
    role = role_named(r2_lab, "vWS08-SQL01")
    remove_role(role)
    vm = VirtualMachine.objects.get(name="vWS08-SQL01")
    assert vm.role_id is None and vm.state == "Running"
    op = request_power(owner, vm, SAVE)
    faults.crash_node(owner, vm.host_node)
    tick_to(r2_lab, 1)
    op.refresh_from_db()
    assert op.state == "failed" and "stopped responding" in op.message


def _queued_moves(owner, make_generated_lab, count):
    lab = make_generated_lab(nodes=3, vms=3 * count, name=f"queue-{count}")
    VirtualMachine.objects.filter(lab=lab).update(state="Running")
    nodes = list(Node.objects.filter(lab=lab).order_by("name"))
    roles = list(Role.objects.filter(cluster__lab=lab, owner_node=nodes[0])
                 .select_related("cluster", "virtual_machine__host_node")[:count])
    moves.request_moves(owner, roles, Operation.Kind.LIVE_MIGRATION, nodes[1])
    assert Operation.objects.filter(lab=lab, state="queued").count() == count - 2  # two at once per host
    return lab


def test_the_queue_costs_the_same_however_many_moves_wait(owner, make_generated_lab):
    """start_queued reads each limit's busy hosts once a pass, not once per waiting move."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fcm.engine import lifecycle

    counts = []
    for waiting in (4, 12):
        lab = _queued_moves(owner, make_generated_lab, waiting)
        with CaptureQueriesContext(connection) as queries:
            lifecycle.start_queued(lab)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_moving_roles_operation_is_read_once_for_its_status_and_its_progress(owner, make_generated_lab):
    """The pushes of a busy lab attach each role's active operation, and its last operation (the
    progress bar) is that same row, not read again; a role whose last move is over still gets it."""
    lab = _queued_moves(owner, make_generated_lab, 4)
    moving = list(Role.objects.filter(cluster__lab=lab, pk__in=Operation.objects.filter(
        lab=lab, state__in=Operation.ACTIVE).values("role_id")))
    idle = list(Role.objects.filter(cluster__lab=lab).exclude(pk__in=[r.pk for r in moving]))
    done = Operation.objects.create(lab=lab, kind=Operation.Kind.QUICK_MIGRATION, role=idle[0],
                                    state=Operation.State.COMPLETED, queued_at=lab.sim_now(), plan={})
    fresh = status.last_operations(moving + idle)
    status.attach_operations(lab, moving + idle)
    with CaptureQueriesContext(connection) as queries:
        attached = status.last_operations(moving)
    assert len(queries) == 1  # the latest ids only
    assert {pk: op.pk for pk, op in attached.items()} == {r.pk: fresh[r.pk].pk for r in moving}
    assert all(attached[r.pk] is r.operation for r in moving)
    mixed = status.last_operations(moving + idle)
    assert mixed[idle[0].pk].pk == done.pk and mixed[idle[1].pk] is None


def test_cluster_shared_volume_changes_tell_other_consoles(r2_lab):
    """Add to / Remove from Cluster Shared Volumes commit with their Outbox row (other consoles are told)."""
    from fcm.engine.commands.clusters import add_to_csv, remove_from_csv
    from fcm.engine.models import Outbox
    from fcm.inventory.models import ClusterDisk

    cd = ClusterDisk.objects.filter(cluster__lab=r2_lab, assignment=ClusterDisk.Assignment.AVAILABLE).first()
    Outbox.objects.all().delete()
    add_to_csv(cd)
    assert Outbox.objects.filter(lab=r2_lab, kind=Outbox.Kind.DISK, object_id=cd.pk).count() == 1
    remove_from_csv(cd)
    assert Outbox.objects.filter(lab=r2_lab, kind=Outbox.Kind.DISK, object_id=cd.pk).count() == 2


def test_a_legacy_phase_is_keyed_by_its_kinds_state_before_its_name():
    """A High Availability phase for a VM named like a Create Cluster step still configures the VM."""
    plan = {"phases": [{"name": "Configuring quorum", "state": "Configuring", "start_s": 0, "end_s": 2}]}
    assert phases.with_keys("configure-role", plan)["phases"][0]["key"] == phases.CONFIGURE_VM
    assert key_migration.with_keys("configure-role", plan)["phases"][0]["key"] == "configure-vm"


def test_a_plan_stored_without_keys_is_read_with_them():
    op = Operation(kind=Operation.Kind.QUICK_MIGRATION, plan={"phases": [
        {"name": "Take offline", "state": "Saved", "start_s": 0, "end_s": 1}], "total_s": 1})
    assert op.phases[0]["key"] == "take-offline"
