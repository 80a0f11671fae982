"""Hyper-V Replica commands: Enable Replication, pause and resume, resynchronize, test, planned and
unplanned failover, reverse, remove; the WAN link fault. Each refuses with the product's precondition."""
from datetime import timedelta

from django.db import transaction

from fcm.inventory.models import Node, RecoveryPoint, Replication, Role, VirtualHardDisk, VirtualMachine
from fcm.sim import replication as model

from .. import lifecycle
from ..effects.power import START, TURN_OFF, request_power
from ..effects.replication import (
    COMPARE_MIB_S, check_server, create_replica_vm, find_server, link_up, mark_replication, path,
    planned_failover_checks, primary_name, start_initial, start_replicating,
)
from ..effects.roles import make_highly_available
from ..errors import ReplicationError, RoleError
from ..models import Operation
from ..outbox import mark_role
from ..phases import sequence

State = Replication.State


def enable(user, vm, *, server_name, auth, port, compression, vhd_ids, frequency_s, additional_points, vss_hours,
           initial_method, start_at=None):
    """Finish of the Enable Replication wizard: the relationship, the replica VM, the initial copy."""
    vm = VirtualMachine.objects.select_related("host_node__cluster", "lab").get(pk=vm.pk)
    lab = vm.lab
    primary = primary_name(vm)
    with transaction.atomic():
        if Replication.objects.filter(primary_vm=vm).exists() or Replication.objects.filter(replica_vm=vm).exists():
            raise ReplicationError(f"Replication is already enabled for virtual machine '{vm.name}'.")
        server = check_server(lab, server_name, primary, auth, port)
        hosts = [n for n in server.hosts().filter(power_state=Node.PowerState.ON) if n.state in ("", Node.State.UP)]
        if not hosts:
            raise ReplicationError(f"No node of '{server.name}' is running to hold the replica.")
        host = max(hosts, key=lambda n: (n.memory_mb, n.name))
        existing = VirtualMachine.objects.filter(lab=lab, host_node__in=server.hosts(), name=vm.name).first()
        if existing is not None:
            _check_existing_copy(existing, initial_method)
        chosen = list(VirtualHardDisk.objects.filter(virtual_machine=vm, pk__in=vhd_ids)) if vhd_ids else \
            list(VirtualHardDisk.objects.filter(virtual_machine=vm))
        size = sum(h.max_size_bytes for h in chosen) / model.MIB
        # An existing copy on the Replica server (one a removed relationship left there) is the replica itself.
        replica = existing or create_replica_vm(vm, server, host, chosen)
        now = lab.sim_now()
        rep = Replication.objects.create(
            lab=lab, primary_vm=vm, replica_vm=replica, replica_server=server, primary_server=primary, auth=auth,
            port=port or (server.kerberos_port if auth == Replication.Auth.KERBEROS else server.certificate_port),
            compression=compression, frequency_s=frequency_s, additional_points=additional_points,
            vss_hours=vss_hours, initial_method=initial_method, vhd_mib=size, stats_from=now, state=State.READY)
        if server.broker_role_id and not Role.objects.filter(virtual_machine=replica).exists():
            make_highly_available(replica, server.broker_role.cluster)
        mark_replication(rep)
    return rep, start_initial(user, rep, start_at)


def _check_existing_copy(existing, initial_method):
    """A VM of the primary's name on the Replica server can only be the initial copy: off, and in no
    other relationship."""
    if initial_method != Replication.InitialMethod.EXISTING:
        raise ReplicationError(f"A virtual machine named '{existing.name}' already exists on the Replica server.")
    if Replication.objects.filter(primary_vm=existing).exists() or \
            Replication.objects.filter(replica_vm=existing).exists():
        raise ReplicationError(f"The virtual machine '{existing.name}' on the Replica server is already in a "
                               "replication relationship.")
    if existing.is_running:
        raise ReplicationError(f"The virtual machine '{existing.name}' on the Replica server is running: turn it "
                               "off to use it as the initial copy.")


def set_paused(user, rep, paused):
    if rep.paused == paused:
        raise ReplicationError(f"Replication of '{rep.primary_vm.name}' is already "
                               f"{'paused' if paused else 'running'}.")
    if rep.state not in (State.REPLICATING, State.SUSPENDED, State.RESYNC_REQUIRED):
        raise ReplicationError(f"Replication of '{rep.primary_vm.name}' is {rep.get_state_display().lower()}: "
                               "it cannot be paused or resumed now.")
    now = rep.lab.sim_now()
    fields = {"paused": paused, "state": State.SUSPENDED if paused else State.REPLICATING}
    if not paused:
        fields["next_cycle_at"] = now + timedelta(seconds=rep.frequency_s)
    Replication.objects.filter(pk=rep.pk).update(**fields)
    mark_replication(rep)


def resynchronize(user, rep):
    """Resume after 'Resynchronization required': compare blocks, send the differences (the pending log)."""
    if rep.state != State.RESYNC_REQUIRED:
        raise ReplicationError(f"'{rep.primary_vm.name}' does not need a resynchronization.")
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    mbps, up = path(rep.primary_vm.host_node, rep.replica_vm.host_node)
    if not up:
        raise ReplicationError("The Replica server cannot be reached: resynchronization cannot start.")
    Replication.objects.filter(pk=rep.pk).update(state=State.RESYNCHRONIZING)
    # Compare-and-send costs about reading both disks plus sending the differences.
    seconds = model.transfer_s(rep.pending_mib, mbps, rep.compression) + rep.vhd_mib / COMPARE_MIB_S
    RecoveryPoint.objects.filter(replication=rep).delete()  # resync discards the recovery history
    steps, _ = sequence([("resynchronize", "Resynchronizing", seconds, "Resync", "")])
    return lifecycle.begin(rep.lab, Operation.Kind.INITIAL_REPLICATION,
                           lifecycle.make_plan(steps, f"Resynchronization of {rep.primary_vm.name}",
                                               replication=rep.pk),
                           requested_by=user, source_node=rep.primary_vm.host_node,
                           target_node=rep.replica_vm.host_node, was_running=False)


def remove(user, rep):
    """Remove Replication: the relationship goes; both VMs stay."""
    test_vm = rep.test_vm
    replica_role = Role.objects.filter(virtual_machine=rep.replica_vm).first() if rep.replica_vm_id else None
    mark_replication(rep)
    rep.delete()
    if test_vm is not None:
        test_vm.delete()
    if replica_role is not None:
        mark_role(replica_role)


def test_failover(user, rep, point):
    """Test Failover on the replica: '<name> - Test' from a recovery point, on a test network, not started."""
    replica = rep.replica_vm
    if rep.test_vm_id:
        raise ReplicationError(f"A test failover of '{replica.name}' is already running. Stop it first.")
    if rep.state not in (State.REPLICATING, State.SUSPENDED, State.RESYNC_REQUIRED):
        raise ReplicationError("Test failover needs a replica that has completed its initial replication.")
    test = VirtualMachine.objects.create(
        lab=rep.lab, name=f"{replica.name} - Test", host_node=replica.host_node, state=VirtualMachine.State.OFF,
        generation=replica.generation, memory_mb=replica.memory_mb, vcpus=replica.vcpus, guest_os=replica.guest_os,
        configuration_path=replica.configuration_path, configuration_disk=replica.configuration_disk,
        virtual_switch="Test network", workload=replica.workload)
    Replication.objects.filter(pk=rep.pk).update(test_vm=test, last_test_at=point.sim_time)
    mark_replication(rep)
    return test


def stop_test_failover(user, rep):
    if not rep.test_vm_id:
        raise ReplicationError(f"No test failover of '{rep.replica_vm.name}' is running.")
    test = rep.test_vm
    Replication.objects.filter(pk=rep.pk).update(test_vm=None)
    test.delete()
    mark_replication(rep)


def planned_failover(user, rep, start_replica=True):
    """Planned Failover: send the last changes, fail over, reverse, optionally start the replica."""
    failing = [why for _, ok, why in planned_failover_checks(rep) if not ok]
    if failing:
        raise ReplicationError(failing[0])
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    mbps, _ = path(rep.primary_vm.host_node, rep.replica_vm.host_node)
    send = model.transfer_s(rep.pending_mib, mbps, rep.compression) + 2.0
    steps, total = sequence([("send-changes", "Send data not yet replicated", send, "Send", ""),
                             ("fail-over", "Fail over on the Replica server", 3.0, "Failover", ""),
                             ("reverse", "Reverse the replication direction", 2.0, "Reverse", "")])
    Replication.objects.filter(pk=rep.pk).update(state=State.PREPARED)
    mark_replication(rep)
    return lifecycle.begin(rep.lab, Operation.Kind.PLANNED_FAILOVER,
                           lifecycle.make_plan(steps, f"Planned failover of {rep.primary_vm.name}",
                                               replication=rep.pk, start_replica=start_replica),
                           requested_by=user, source_node=rep.primary_vm.host_node,
                           target_node=rep.replica_vm.host_node, was_running=False)


def failover(user, rep, point):
    """Failover on the replica after the primary is lost: boot from the chosen recovery point."""
    vm = rep.primary_vm
    if vm.is_running and vm.host_node.power_state == Node.PowerState.ON and link_up(rep):
        raise ReplicationError(f"The primary virtual machine '{vm.name}' is running. Use Planned Failover, or "
                               "fail over only when the primary site is lost.")
    if rep.state not in (State.REPLICATING, State.SUSPENDED, State.RESYNC_REQUIRED, State.ERROR):
        raise ReplicationError(f"Replication of '{vm.name}' is {rep.get_state_display().lower()}: "
                               "there is nothing to fail over to.")
    now = rep.lab.sim_now()
    if not Replication.objects.filter(pk=rep.pk, state=rep.state).update(
            state=State.FAILED_OVER_WAITING, failed_over_at=now, failover_point=point.sim_time):
        raise ReplicationError(f"Replication of '{vm.name}' changed meanwhile (another user or the last cycle): "
                               "look again and retry.")
    mark_replication(rep)
    replica = VirtualMachine.objects.get(pk=rep.replica_vm_id)
    request_power(user, replica, START)
    return rep


def cancel_failover(user, rep):
    """Cancel Failover: the replica stops and goes back to being a replica (another point may be tried)."""
    if rep.state != State.FAILED_OVER_WAITING:
        raise ReplicationError("Only a failover that has not been completed can be cancelled.")
    replica = VirtualMachine.objects.get(pk=rep.replica_vm_id)
    if replica.state != VirtualMachine.State.OFF:
        try:
            request_power(user, replica, TURN_OFF)
        except RoleError as exc:
            raise ReplicationError(str(exc)) from None
    Replication.objects.filter(pk=rep.pk).update(state=State.REPLICATING, failed_over_at=None, failover_point=None)
    mark_replication(rep)


def import_initial_replica(user, rep):
    """Import Initial Replica on the replica: the copy that came on external media is merged."""
    if rep.state != State.WAITING or rep.initial_method != Replication.InitialMethod.MEDIA:
        raise ReplicationError("There is no initial copy from external media waiting to be imported.")
    start_replicating(rep, rep.lab.sim_now())


def reverse_replication(user, rep):
    """Reverse Replication after a failover: the old primary becomes the replica (a resync brings it level)."""
    if rep.state != State.FAILED_OVER_WAITING:
        raise ReplicationError("Reverse Replication follows a failover.")
    reverse = find_server(rep.lab, rep.primary_server)
    if reverse is None or not reverse.enabled:
        raise ReplicationError(f"'{rep.primary_server}' is not enabled as a Replica server: enable it before "
                               "reversing replication.")
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    old_primary, new_primary = rep.primary_vm, rep.replica_vm
    RecoveryPoint.objects.filter(replication=rep).delete()
    Replication.objects.filter(pk=rep.pk).update(
        primary_vm=new_primary, replica_vm=old_primary, replica_server=reverse,
        primary_server=primary_name(new_primary), state=State.RESYNC_REQUIRED, pending_mib=rep.vhd_mib * 0.51,
        failover_point=None, last_sync_at=None)
    if old_primary.is_running:
        VirtualMachine.objects.filter(pk=old_primary.pk).update(state=VirtualMachine.State.OFF, started_at=None)
    mark_replication(rep)


def reset_statistics(rep):
    Replication.objects.filter(pk=rep.pk).update(stats_from=rep.lab.sim_now(), successful_cycles=0, missed_cycles=0,
                                                 errors=0, total_mib=0, max_mib=0)
    mark_replication(rep)
