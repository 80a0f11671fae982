"""Clustered roles: making VMs highly available, power actions, removal.

The High Availability rules are the product's (fcm.md section 5.1): on
2008 and 2008 R2 a VM must be Off or Saved; on every version its
configuration and VHDs must be on storage every node reaches — a cluster
disk in Available Storage (which then moves into the role) or a Cluster
Shared Volume; a virtual switch missing on some node is only a warning.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import (
    ClusterDisk, DiskPath, Node, Resource, Role, VirtualMachine, VirtualSwitch,
)
from fcm.inventory.models.vms import MigrationState

from .errors import EngineError
from .models import Operation, Outbox


class RoleError(EngineError):
    """What the product refuses, in its words."""


def ha_problems(vm, cluster):
    """(errors, warnings) for making `vm` highly available in `cluster`."""
    errors, warnings = [], []
    if vm.role_id:
        errors.append(f"{vm.name} is already highly available (role {vm.role.name}).")
        return errors, warnings
    if vm.host_node.cluster_id != cluster.pk:
        errors.append(f"{vm.name} is on {vm.host_node.name}, which is not a node of {cluster.name}.")
        return errors, warnings
    if cluster.version.order <= 2 and vm.state not in (VirtualMachine.State.OFF, VirtualMachine.State.SAVED):
        errors.append(f"The virtual machine '{vm.name}' is {vm.get_state_display().lower()}. Before you make it "
                      "highly available, shut it down or save its state.")
    luns = [vm.configuration_disk] + [h.disk for h in vm.hard_disks.select_related("disk")]
    if any(lun is None for lun in luns):
        errors.append(f"{vm.name} keeps files on local storage of {vm.host_node.name}; every file of a highly "
                      "available virtual machine must be on storage all nodes reach.")
        return errors, warnings
    nodes = list(Node.objects.filter(cluster=cluster))
    for lun in {l.pk: l for l in luns}.values():
        cd = ClusterDisk.objects.filter(cluster=cluster, disk=lun).first()
        if cd is None:
            errors.append(f"{lun.name} (where {vm.name} keeps files) is not a disk of {cluster.name}.")
            continue
        seeing = set(DiskPath.objects.filter(disk=lun, online=True).values_list("node_id", flat=True))
        missing = [n.name for n in nodes if n.pk not in seeing]
        if missing:
            errors.append(f"{cd.name} is not reachable from {', '.join(missing)}.")
        if cd.assignment == ClusterDisk.Assignment.ROLE and cd.role_id:
            errors.append(f"{cd.name} already belongs to the role {cd.role.name}.")
        elif cd.assignment == ClusterDisk.Assignment.WITNESS:
            errors.append(f"{cd.name} is the quorum witness; virtual machine files cannot live there.")
    if vm.virtual_switch:
        have = set(VirtualSwitch.objects.filter(node__cluster=cluster, name=vm.virtual_switch)
                   .values_list("node__name", flat=True))
        missing = sorted(n.name for n in nodes if n.name not in have)
        if missing:
            warnings.append(f"The virtual switch '{vm.virtual_switch}' of {vm.name} is missing on "
                            f"{', '.join(missing)}; there the virtual machine would have no network.")
    return errors, warnings


def make_highly_available(vm, cluster, priority=Role.Priority.MEDIUM, sim_time=None, log=True):
    """Create the VM's role, its resources and dependencies; move its cluster disk into it."""
    from . import services

    errors, _ = ha_problems(vm, cluster)
    if errors:
        raise RoleError(" ".join(errors))
    running = vm.is_running
    try:
        with transaction.atomic():
            role = Role.objects.create(cluster=cluster, name=vm.name, type=Role.Type.VIRTUAL_MACHINE,
                                       state=Role.State.ONLINE if running else Role.State.OFFLINE,
                                       owner_node=vm.host_node, priority=priority)
            claimed = VirtualMachine.objects.filter(pk=vm.pk, role__isnull=True).update(role=role)
            if not claimed:
                raise IntegrityError("already clustered")
    except IntegrityError:
        raise RoleError(f"{vm.name} was made highly available by someone else meanwhile.") from None
    vm.role = role
    state = Resource.State.ONLINE if running else Resource.State.OFFLINE
    config = Resource.objects.create(role=role, name=f"Virtual Machine Configuration {vm.name}",
                                     type=Resource.Type.VM_CONFIGURATION, state=state, virtual_machine=vm)
    machine = Resource.objects.create(role=role, name=f"Virtual Machine {vm.name}",
                                      type=Resource.Type.VIRTUAL_MACHINE, state=state, virtual_machine=vm)
    machine.depends_on.add(config)
    luns = {vm.configuration_disk_id} | {h.disk_id for h in vm.hard_disks.all()}
    for cd in ClusterDisk.objects.filter(cluster=cluster, disk_id__in=luns, assignment=ClusterDisk.Assignment.AVAILABLE):
        ClusterDisk.objects.filter(pk=cd.pk).update(assignment=ClusterDisk.Assignment.ROLE, role=role,
                                                    owner_node=vm.host_node)
        disk_resource = Resource.objects.create(role=role, name=cd.name, type=Resource.Type.PHYSICAL_DISK,
                                                state=Resource.State.ONLINE, cluster_disk=cd)
        config.depends_on.add(disk_resource)
    if log:
        services.mark_role(role)
    return role


# -- power: Start, Save, Shut Down, Turn Off (and Start/Stop Role) ------------------

START, SAVE, SHUTDOWN, TURN_OFF = "start", "save", "shutdown", "turnoff"
POWER_LABELS = {START: "Start", SAVE: "Save", SHUTDOWN: "Shut Down", TURN_OFF: "Turn Off"}
ALLOWED_FROM = {
    START: (VirtualMachine.State.OFF, VirtualMachine.State.SAVED),
    SAVE: (VirtualMachine.State.RUNNING, VirtualMachine.State.PAUSED),
    SHUTDOWN: (VirtualMachine.State.RUNNING,),
    TURN_OFF: (VirtualMachine.State.RUNNING, VirtualMachine.State.PAUSED, VirtualMachine.State.STARTING),
}


def power_plan(vm, action):
    from fcm.sim import vm_power

    storage = vm.configuration_disk.throughput_mib_s if vm.configuration_disk_id else 100
    if action == START:
        if vm.state == VirtualMachine.State.SAVED:
            name, seconds = "Restoring saved state", vm_power.restore_seconds(vm.memory_mb, storage)
        else:
            name, seconds = "Booting the guest operating system", vm_power.boot_seconds(
                vm.guest_os, vm.guest_install_option, vm.generation)
        state = "Starting"
    elif action == SAVE:
        name, seconds, state = "Saving memory to disk", vm_power.save_seconds(vm.memory_mb, storage), "Saving"
    elif action == SHUTDOWN:
        name, seconds, state = "Shutting down the guest", vm_power.shutdown_seconds(vm.guest_install_option), "Stopping"
    else:
        name, seconds, state = "Turning off", vm_power.TURN_OFF_S, "Stopping"
    return {"phases": [{"name": name, "start_s": 0.0, "end_s": seconds, "state": state, "detail": ""}],
            "total_s": seconds, "downtime_s": 0, "summary": f"{POWER_LABELS[action]}: about {seconds:.0f} s",
            "action": action, "from_state": vm.state}


def request_power(user, vm, action, sim_now=None):
    """Start / Save / Shut Down / Turn Off a VM (through its role when clustered).

    `sim_now` is given when the engine itself acts (a failover), so the new
    operation starts at the engine's time, not at the wall clock's."""
    from . import services

    if action not in ALLOWED_FROM:
        raise RoleError("Unknown action.")
    vm = VirtualMachine.objects.select_related("role__cluster__lab", "host_node", "configuration_disk").get(pk=vm.pk)
    if vm.state not in ALLOWED_FROM[action]:
        raise RoleError(f"{POWER_LABELS[action]} is not possible while {vm.name} is {vm.get_state_display().lower()}.")
    if vm.host_node.power_state != "On" or (vm.host_node.cluster_id and vm.host_node.state not in ("Up", "Paused")):
        raise RoleError(f"{vm.host_node.name} is not running; {vm.name} cannot change state there.")
    if action == START:
        from .storage_faults import storage_problem
        problem = storage_problem(vm)
        if problem:
            raise RoleError(problem)
    lab = vm.lab
    sim_now = sim_now or lab.sim_now()
    try:
        with transaction.atomic():
            op = Operation.objects.create(
                lab=lab, kind=Operation.Kind.VM_POWER, role=vm.role, virtual_machine=vm, cluster=vm.role.cluster
                if vm.role_id else None, source_node=vm.host_node, target_node=vm.host_node, requested_by=user,
                was_running=vm.is_running, state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now,
                next_due_at=sim_now, plan=power_plan(vm, action))
    except IntegrityError:
        raise RoleError(f"{vm.name} is already changing state or moving; wait for it to finish.") from None
    services.advance(op, sim_now)
    return op


def enter_power_phase(op, phase):
    vm, role = op.virtual_machine, op.role
    vm.state = phase["state"]
    vm.save(update_fields=["state"])
    if role is not None:
        role.state = Role.State.PENDING
        role.save(update_fields=["state"])
        Resource.objects.filter(role=role, virtual_machine=vm).update(
            state=Resource.State.ONLINE_PENDING if phase["state"] == "Starting" else Resource.State.OFFLINE_PENDING)


def complete_power(op, sim_time):
    vm, role = op.virtual_machine, op.role
    action = op.plan["action"]
    if action == START:
        vm.state = VirtualMachine.State.RUNNING
        if op.plan.get("from_state") != VirtualMachine.State.SAVED:
            vm.started_at = sim_time  # a cold boot: uptime starts again
    elif action == SAVE:
        vm.state = VirtualMachine.State.SAVED
    else:
        vm.state = VirtualMachine.State.OFF
        vm.started_at = None
    vm.migration_state = MigrationState.NO_MIGRATION
    vm.save(update_fields=["state", "started_at", "migration_state"])
    if role is not None:
        online = vm.state == VirtualMachine.State.RUNNING
        role.state = Role.State.ONLINE if online else Role.State.OFFLINE
        role.save(update_fields=["state"])
        Resource.objects.filter(role=role, virtual_machine=vm).update(
            state=Resource.State.ONLINE if online else Resource.State.OFFLINE)


def remove_role(role):
    """Remove: the role goes, the VM stays on its host; its disk returns to Available Storage."""
    from . import services

    with transaction.atomic():
        role = Role.objects.select_related("cluster__lab").get(pk=role.pk)
        if Operation.objects.filter(role=role, state__in=Operation.ACTIVE).exists():
            raise RoleError(f"{role.name} is changing state or moving; wait for it to finish.")
        ClusterDisk.objects.filter(role=role).update(assignment=ClusterDisk.Assignment.AVAILABLE, role=None)
        VirtualMachine.objects.filter(role=role).update(role=None)
        cluster = role.cluster
        role.delete()
        services.mark(cluster.lab_id, Outbox.Kind.CLOCK)  # consoles re-render their status bar; lists refresh on use
    return cluster


# -- Configure Role (High Availability wizard) ------------------------------------------

def start_configure_role(user, cluster, vm_ids):
    """One phase per VM: each is checked and made highly available in turn; the
    report (op.result) says which became roles and why the others did not."""
    vms = list(VirtualMachine.objects.filter(pk__in=vm_ids).order_by("name"))
    phases, t = [], 0.0
    for vm in vms:
        phases.append({"name": f"Configuring {vm.name}", "start_s": t, "end_s": t + 2.0, "state": "Configuring",
                       "detail": str(vm.pk)})
        t += 2.0
    return start_configure_op(user, cluster, phases, f"{len(vms)} virtual machine(s)")


def start_configure_op(user, cluster, phases, summary):
    """The High Availability wizard's operation: its phases configure one role each (op.result lists them)."""
    from . import services

    sim_now = cluster.lab.sim_now()
    with transaction.atomic():
        op = Operation.objects.create(
            lab=cluster.lab, kind=Operation.Kind.CONFIGURE_ROLE, cluster=cluster, requested_by=user,
            was_running=False, state=Operation.State.RUNNING, queued_at=sim_now, started_at=sim_now,
            next_due_at=sim_now, plan={"phases": phases, "total_s": phases[-1]["end_s"] if phases else 0.0,
                                       "downtime_s": 0, "summary": summary},
            result={"vms": []})
        services.mark(cluster.lab_id, Outbox.Kind.OPERATION, op.pk)
    services.advance(op, sim_now)
    return op


def configure_one(op, phase):
    vm = VirtualMachine.objects.select_related("role", "host_node", "configuration_disk").filter(
        pk=int(phase["detail"])).first()
    entry = {"vm": vm.name if vm else phase["name"], "role": None, "errors": [], "warnings": []}
    if vm is not None:
        errors, warnings = ha_problems(vm, op.cluster)
        entry["warnings"] = warnings
        if errors:
            entry["errors"] = errors
        else:
            try:
                role = make_highly_available(vm, op.cluster)
                entry["role"] = role.name
            except RoleError as exc:
                entry["errors"] = [str(exc)]
    results = (op.result or {}).get("vms", []) + [entry]
    op.result = {**(op.result or {}), "vms": results}
    Operation.objects.filter(pk=op.pk).update(result=op.result)


def set_resource_state(user, resource, online):
    """Bring Online / Take Offline one resource, honouring dependencies.

    The Virtual Machine resource starts or saves the VM (its offline action
    is Save, the product's default); a disk or configuration resource goes
    at once, once the resources that depend on it are offline.
    """
    from . import services

    resource = Resource.objects.select_related("role__cluster", "virtual_machine").get(pk=resource.pk)
    role = resource.role
    if resource.type == Resource.Type.VIRTUAL_MACHINE and resource.virtual_machine_id:
        vm = resource.virtual_machine
        if online:
            blocked = [d.name for d in resource.depends_on.exclude(state=Resource.State.ONLINE)]
            if blocked:
                raise RoleError(f"Bring {', '.join(blocked)} online first: {resource.name} depends on it.")
        return request_power(user, vm, START if online else SAVE)
    with transaction.atomic():
        if online:
            blocked = [d.name for d in resource.depends_on.exclude(state=Resource.State.ONLINE)]
            if blocked:
                raise RoleError(f"Bring {', '.join(blocked)} online first: {resource.name} depends on it.")
        else:
            dependents = [d.name for d in resource.dependents.filter(state__in=[
                Resource.State.ONLINE, Resource.State.ONLINE_PENDING])]
            if dependents:
                raise RoleError(f"{', '.join(dependents)} depends on {resource.name}: take it offline first.")
        Resource.objects.filter(pk=resource.pk).update(state=Resource.State.ONLINE if online else Resource.State.OFFLINE)
        states = set(Resource.objects.filter(role=role).values_list("state", flat=True))
        role.state = (Role.State.ONLINE if states == {Resource.State.ONLINE} else
                      Role.State.OFFLINE if states == {Resource.State.OFFLINE} else Role.State.PARTIAL_ONLINE)
        role.save(update_fields=["state"])
        services.mark_role(role)
    return None
