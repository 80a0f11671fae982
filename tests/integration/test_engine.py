"""The engine with a fake clock: every test ticks to chosen times, none sleeps."""
from datetime import timedelta

import pytest

from fcm.engine.models import Operation, Outbox
from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, DiskPath, Node, Role, VirtualMachine
from fcm.engine import errors
from fcm.engine.commands import moves

pytestmark = pytest.mark.django_db
LIVE, QUICK, STORAGE = (Operation.Kind.LIVE_MIGRATION, Operation.Kind.QUICK_MIGRATION,
                        Operation.Kind.STORAGE_MIGRATION)


def wall(lab, seconds):
    """The wall-clock time at which the lab's clock shows start + `seconds`."""
    lab.refresh_from_db()
    return lab.wall_anchor + timedelta(seconds=(seconds / lab.speed))


def wall_into(op, seconds):
    """The wall-clock time at which `op` has run for `seconds` of sim time (however late it started)."""
    lab = op.lab
    lab.refresh_from_db()
    return lab.wall_anchor + (op.started_at - lab.sim_anchor + timedelta(seconds=seconds)) / lab.speed


def role_named(lab, name):
    return Role.objects.select_related("cluster", "virtual_machine__host_node").get(cluster__lab=lab, name=name)


def test_live_migration_walkthrough(r2_lab, owner, make_runner):
    role = role_named(r2_lab, "vWS08-SQL01")
    s2 = Node.objects.get(name="WS08R2-S2")
    result = moves.request_moves(owner, [role], LIVE, s2)
    assert not result.refused
    op = Operation.objects.get()
    assert op.state == "running" and op.plan["live"] and op.plan["converged"]
    assert op.plan["network"] == "Cluster Network 2" and op.plan["link_mbps"] == 1000
    total = op.plan["total_s"]
    assert 30 < total < 70, total
    vm = VirtualMachine.objects.get(pk=role.virtual_machine.pk)
    assert vm.migration_state == 1  # Setup

    runner = make_runner()
    out = runner.tick(to=wall(r2_lab, 20))
    vm.refresh_from_db()
    assert vm.migration_state == 2  # Data Transfer
    html = out[r2_lab.pk]
    assert f'id="role-{role.pk}-detail-info" hx-swap-oob="true">' in html
    assert "Live Migrating," in html and "% completed" in html
    role.refresh_from_db()
    assert role.owner_node.name == "WS08R2-S1"

    out = runner.tick(to=wall(r2_lab, total + 1))
    op.refresh_from_db()
    vm.refresh_from_db()
    role.refresh_from_db()
    assert op.state == "completed" and vm.migration_state == 0
    assert role.owner_node == s2 and vm.host_node == s2 and vm.state == "Running"
    assert f'<span id="role-{role.pk}-owner" hx-swap-oob="true">WS08R2-S2</span>' in out[r2_lab.pk]
    assert Outbox.objects.count() == 0


def test_quick_migration_goes_through_the_2008_states(lab_2008, owner, make_runner):
    role = role_named(lab_2008, "Guest1")
    target = Node.objects.get(name="contoso4")
    moves.request_moves(owner, [role], QUICK, target)
    op = Operation.objects.get()
    runner = make_runner()
    seen = []
    for t in range(0, int(op.plan["total_s"]) + 3):
        runner.tick(to=wall(lab_2008, t))
        role.refresh_from_db()
        vm = role.virtual_machine
        vm.refresh_from_db()
        pair = (vm.state, role.state)
        if not seen or seen[-1] != pair:
            seen.append(pair)
    assert seen == [("Saving", "Pending"), ("Saved", "Offline"), ("Saved", "Pending"),
                    ("Starting", "Pending"), ("Running", "Online")]
    assert role.owner_node == target
    assert ClusterDisk.objects.get(disk__name="Guest1").owner_node == target
    assert op.plan["downtime_s"] == op.plan["total_s"]


def test_a_hosts_own_simultaneous_live_migrations_setting_queues_the_moves_beyond_it(make_generated_lab, owner):
    lab = make_generated_lab(nodes=2, vms=6)
    cluster = lab.clusters.get()
    Cluster.objects.filter(pk=cluster.pk).update(simultaneous_live_migrations=4)
    VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=1024, workload="idle")
    hv1, hv2 = Node.objects.filter(cluster=cluster).order_by("name")
    Node.objects.filter(pk=hv2.pk).update(max_vm_migrations=1)  # Hyper-V Settings of the target
    roles = list(Role.objects.filter(cluster=cluster, owner_node=hv1).select_related("cluster", "virtual_machine__host_node"))
    moves.request_moves(owner, roles, LIVE, hv2)
    assert list(Operation.objects.order_by("pk").values_list("state", flat=True)) == ["running", "queued", "queued"]


def test_moves_queue_beyond_the_simultaneous_limit(make_generated_lab, owner, make_runner):
    lab = make_generated_lab(nodes=2, vms=6)
    cluster = lab.clusters.get()
    cluster.simultaneous_live_migrations = 2
    cluster.save()
    VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=1024, workload="idle")
    hv1, hv2 = Node.objects.filter(cluster=cluster).order_by("name")
    roles = list(Role.objects.filter(cluster=cluster, owner_node=hv1).select_related("cluster", "virtual_machine__host_node"))
    assert len(roles) == 3
    moves.request_moves(owner, roles, LIVE, hv2)
    states = list(Operation.objects.order_by("pk").values_list("state", flat=True))
    assert states == ["running", "running", "queued"]
    first = Operation.objects.order_by("pk").first()
    assert first.plan["streams"] in (1, 2)
    assert Operation.objects.order_by("pk")[1].plan["streams"] == 2  # the link is shared

    from fcm.console.templatetags.fcm_console import role_info
    from fcm.engine.status import attach_operations
    queued_role = roles[2]
    attach_operations(lab, [queued_role])
    assert role_info({"sim_now": lab.sim_now()}, queued_role) == "Live Migration Queued (1st in queue)"

    runner = make_runner()
    runner.tick(to=wall(lab, max(op.total_s for op in Operation.objects.filter(state="running")) + 1))
    states = list(Operation.objects.order_by("pk").values_list("state", flat=True))
    assert states == ["completed", "completed", "running"]


def test_cancel_keeps_the_vm_on_the_source_and_logs_21502(r2_lab, owner, make_runner):
    role = role_named(r2_lab, "vWS08-SQL01")
    moves.request_moves(owner, [role], LIVE, Node.objects.get(name="WS08R2-S2"))
    op = Operation.objects.get()
    runner = make_runner()
    runner.tick(to=wall(r2_lab, 10))
    moves.cancel(op, owner)
    pushed = runner.tick(to=wall(r2_lab, 11))[r2_lab.pk]
    assert f'<span id="events-stale-{role.cluster_id}" hx-swap-oob="true" data-new-events="1" hidden>' in pushed
    assert "1 - Live migrate to node WS08R2-S2" in pushed  # the Actions pane offers moves again
    op.refresh_from_db()
    role.refresh_from_db()
    assert op.state == "cancelled"
    assert role.owner_node.name == "WS08R2-S1" and role.virtual_machine.migration_state == 0
    event = ClusterEvent.objects.get(event_id=21502)
    assert "cancelled" in event.description and event.source == "Hyper-V-High-Availability"
    with pytest.raises(errors.MoveError, match="already finished"):
        moves.cancel(op, owner)


def test_too_late_to_cancel_once_switching(r2_lab, owner, make_runner):
    role = role_named(r2_lab, "vWS08-SQL01")
    moves.request_moves(owner, [role], LIVE, Node.objects.get(name="WS08R2-S2"))
    op = Operation.objects.get()
    stop = next(p for p in op.plan["phases"] if p["name"] == "Stop-and-copy")
    make_runner().tick(to=wall_into(op, stop["start_s"] + 0.15))
    with pytest.raises(errors.MoveError, match="too late"):
        moves.cancel(op, owner)


@pytest.mark.parametrize("setup,kind,reason", [
    (lambda s2: Node.objects.filter(pk=s2.pk).update(memory_mb=4096), LIVE, "enough free memory"),
    (lambda s2: Node.objects.filter(pk=s2.pk).update(processor_vendor="AuthenticAMD"), LIVE, "not compatible"),
    (lambda s2: DiskPath.objects.filter(node=s2, disk__name="VMs").update(online=False), LIVE,
     "cannot reach the storage"),
    (lambda s2: Node.objects.filter(pk=s2.pk).update(state="Paused"), LIVE, "paused"),
    (lambda s2: Node.objects.filter(pk=s2.pk).update(state="Down"), QUICK, "down"),
])
def test_refused_moves_say_why_and_change_nothing(r2_lab, owner, setup, kind, reason):
    s2 = Node.objects.get(name="WS08R2-S2")
    setup(s2)
    role = role_named(r2_lab, "vWS08-SQL01")
    result = moves.request_moves(owner, [role], kind, Node.objects.get(pk=s2.pk))
    assert not result.started and reason in result.refused[0][1]
    assert not Operation.objects.exists()
    events = ClusterEvent.objects.filter(event_id=21502, role=role)
    assert events.count() == (1 if kind == LIVE else 0)
    if kind == LIVE:
        assert reason in events.get().description
    role.refresh_from_db()
    assert role.owner_node.name == "WS08R2-S1"


def test_processor_mismatch_allows_quick_migration(r2_lab, owner):
    Node.objects.filter(name="WS08R2-S2").update(processor_vendor="AuthenticAMD")
    role = role_named(r2_lab, "vWS08-SQL01")
    result = moves.request_moves(owner, [role], QUICK, Node.objects.get(name="WS08R2-S2"))
    assert result.started and not result.refused


def test_a_target_that_fails_before_the_move_starts_fails_the_move_with_event(make_generated_lab, owner, tick_to):
    lab = make_generated_lab(nodes=2, vms=4)
    cluster = lab.clusters.get()
    cluster.simultaneous_live_migrations = 1
    cluster.save()
    VirtualMachine.objects.filter(lab=lab).update(state="Running", memory_mb=1024)
    hv1, hv2 = Node.objects.filter(cluster=cluster).order_by("name")
    roles = list(Role.objects.filter(cluster=cluster, owner_node=hv1).select_related("cluster", "virtual_machine__host_node"))
    moves.request_moves(owner, roles, LIVE, hv2)
    Node.objects.filter(pk=hv2.pk).update(state="Paused")
    first = Operation.objects.order_by("pk").first()
    tick_to(lab, first.total_s + 1)
    second = Operation.objects.order_by("pk")[1]
    assert second.state == "failed" and "paused" in second.message
    assert ClusterEvent.objects.filter(event_id=21502, role=second.role).exists()


def test_best_possible_node_follows_preferred_owners(make_generated_lab, owner):
    lab = make_generated_lab(nodes=3, vms=3)
    cluster = lab.clusters.get()
    hv1, hv2, hv3 = Node.objects.filter(cluster=cluster).order_by("name")
    role = Role.objects.select_related("cluster", "virtual_machine__host_node").get(cluster=cluster, owner_node=hv1)
    role.preferred_owner_entries.create(node=hv3, rank=1)
    result = moves.request_moves(owner, [role], LIVE)
    assert result.started[0].target_node == hv3


def test_a_vm_moves_once_at_a_time(r2_lab, owner, other_user):
    role = role_named(r2_lab, "vWS08-SQL01")
    s2 = Node.objects.get(name="WS08R2-S2")
    assert moves.request_moves(owner, [role], LIVE, s2).started
    second = moves.request_moves(other_user, [role_named(r2_lab, "vWS08-SQL01")], LIVE, s2)
    assert second.refused and "already being moved" in second.refused[0][1]
    assert Operation.objects.count() == 1


def test_a_restarted_engine_carries_on_and_two_runners_apply_a_step_once(r2_lab, owner, tick_to, make_runner):
    role = role_named(r2_lab, "vWS08-SQL01")
    moves.request_moves(owner, [role], LIVE, Node.objects.get(name="WS08R2-S2"))
    op = Operation.objects.get()
    tick_to(r2_lab, 15)
    # The process dies here; new runners start from the rows.
    a, b = make_runner(), make_runner()
    op.refresh_from_db()
    end = wall_into(op, op.total_s + 1)  # from when it started: on a busy machine that is after the anchor
    a.tick(to=end)
    b.tick(to=end)
    op.refresh_from_db()
    assert op.state == "completed" and op.phase_index == len(op.plan["phases"])
    assert a.stats["transitions"] == 1 and b.stats["transitions"] == 0


def test_storage_migration_moves_the_files_without_downtime(make_generated_lab, owner, tick_to):
    lab = make_generated_lab(nodes=2, vms=600)  # two CSVs
    cluster = lab.clusters.get()
    role = Role.objects.select_related("cluster", "virtual_machine__host_node").get(cluster=cluster, name="VM0001")
    dest = ClusterDisk.objects.get(cluster=cluster, csv_number=2)
    op = moves.request_storage_move(owner, role, dest)
    assert op.state == "running" and op.plan["downtime_s"] == 0
    pushed = tick_to(lab, op.plan["total_s"] + 1)
    vm = VirtualMachine.objects.get(pk=role.virtual_machine.pk)
    # Open consoles see the new location in the role's details, without a reload.
    assert (f'<dd class="path" id="vm-{vm.pk}-configuration" hx-swap-oob="true">C:\\ClusterStorage\\Volume2\\VM0001'
            in pushed.get(lab.pk, ""))
    assert vm.configuration_path == r"C:\ClusterStorage\Volume2\VM0001"
    assert vm.configuration_disk_id == dest.disk_id
    assert all(h.path.startswith(r"C:\ClusterStorage\Volume2\VM0001") for h in vm.hard_disks.all())
    with pytest.raises(errors.MoveError, match="cannot receive"):
        moves.request_storage_move(owner, role, dest)


def test_a_paused_clock_stops_progress(r2_lab, owner, make_runner):
    role = role_named(r2_lab, "vWS08-SQL01")
    moves.request_moves(owner, [role], LIVE, Node.objects.get(name="WS08R2-S2"))
    r2_lab.refresh_from_db()
    r2_lab.sim_anchor, r2_lab.wall_anchor, r2_lab.speed = r2_lab.sim_now(), r2_lab.wall_anchor, 0
    r2_lab.save()
    make_runner().tick(to=r2_lab.wall_anchor + timedelta(hours=1))
    assert Operation.objects.get().state == "running"


def test_a_crashed_nodes_actions_are_pushed_and_offer_power_on_once_it_is_declared_down(replica_lab, owner, make_runner):
    """The Nodes view's Actions follow the node: Simulate > Power On appears when the cluster has declared it down."""
    from fcm.engine.commands import faults
    node = Node.objects.get(lab=replica_lab, name="HQ-HV2")
    runner = make_runner()
    runner.tick(to=wall(replica_lab, 1))
    faults.crash_node(owner, node)
    pushed = runner.tick(to=wall(replica_lab, 2)).get(replica_lab.pk, "")
    assert f'id="actions-node-{node.pk}"' in pushed and "Power On" not in pushed  # not declared down yet
    with pytest.raises(errors.FailureError, match="Wait until HQ-HV2 has been declared down"):
        faults.restart_node(owner, node)
    pushed = "".join(runner.tick(to=wall(replica_lab, s)).get(replica_lab.pk, "") for s in range(3, 120, 5))
    assert f'id="actions-node-{node.pk}"' in pushed and "Simulate &rsaquo;</span> Power On" in pushed
    assert f'<span id="node-{node.pk}-detail-state" hx-swap-oob="true">' in pushed
