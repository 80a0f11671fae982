"""A VM's state changes: Start, Save, Shut Down, Turn Off (also Start / Stop Role, and a failover's boot),
and Hyper-V Manager's Pause and Resume.

Each is a short VM_POWER operation whose length comes from fcm.sim.vm_power
(boot, restore, save, shutdown, pause and resume times); its phase shows the
state the VM passes through (Starting, Saving, Stopping, Pausing, Resuming).
"""
from django.db import transaction

from fcm.inventory.models import ClusterDisk, Node, Replication, Resource, Role, VirtualMachine
from fcm.sim import vm_power

from .. import lifecycle, phases
from ..errors import RoleError
from ..facts import MEMBERS, storage_problem
from ..models import Operation, Outbox
from ..outbox import mark


START, SAVE, SHUTDOWN, TURN_OFF, PAUSE, RESUME = "start", "save", "shutdown", "turnoff", "pause", "resume"


POWER_LABELS = {START: "Start", SAVE: "Save", SHUTDOWN: "Shut Down", TURN_OFF: "Turn Off", PAUSE: "Pause",
                RESUME: "Resume"}


ALLOWED_FROM = {
    START: (VirtualMachine.State.OFF, VirtualMachine.State.SAVED),
    SAVE: (VirtualMachine.State.RUNNING, VirtualMachine.State.PAUSED),
    SHUTDOWN: (VirtualMachine.State.RUNNING,),
    TURN_OFF: (VirtualMachine.State.RUNNING, VirtualMachine.State.PAUSED, VirtualMachine.State.STARTING),
    PAUSE: (VirtualMachine.State.RUNNING,),
    RESUME: (VirtualMachine.State.PAUSED,),
}


def power_plan(vm, action):
    """How long the change takes on this VM (memory, storage, guest) and what it shows meanwhile."""
    storage = vm.configuration_disk.throughput_mib_s if vm.configuration_disk_id else 100
    if action == START:
        if vm.state == VirtualMachine.State.SAVED:
            name, seconds = "Restoring saved state", vm_power.restore_seconds(vm.memory_mb, storage)
        else:
            name, seconds = "Booting the guest operating system", vm_power.boot_seconds(
                vm.guest_os, vm.guest_install_option, vm.generation)
        state = VirtualMachine.State.STARTING
    elif action == SAVE:
        name, seconds, state = "Saving memory to disk", vm_power.save_seconds(vm.memory_mb, storage), \
            VirtualMachine.State.SAVING
    elif action == SHUTDOWN:
        name, seconds, state = "Shutting down the guest", vm_power.shutdown_seconds(vm.guest_install_option), \
            VirtualMachine.State.STOPPING
    elif action == PAUSE:
        name, seconds, state = "Suspending the virtual processors", vm_power.pause_seconds(vm.vcpus), \
            VirtualMachine.State.PAUSING
    elif action == RESUME:
        name, seconds, state = "Resuming the virtual processors", vm_power.resume_seconds(vm.vcpus), \
            VirtualMachine.State.RESUMING
    else:
        name, seconds, state = "Turning off", vm_power.TURN_OFF_S, VirtualMachine.State.STOPPING
    about = f"about {seconds:.0f} s" if seconds >= 1 else "a moment"
    return lifecycle.make_plan([phases.phase(phases.POWER, name, 0.0, seconds, state)],
                               f"{POWER_LABELS[action]}: {about}", action=action, from_state=vm.state)


def role_follows_vm(vm, role):
    """A clustered VM's role and its resources show what the VM does: Pending (Online or Offline Pending)
    while it starts or stops, Online while it runs, Offline otherwise. Every change of a VM's state that
    the cluster sees goes through here (a power change, a checkpoint applied)."""
    if role is None:
        return
    S = VirtualMachine.State
    if vm.state in (S.STARTING, S.STOPPING, S.SAVING, S.PAUSING, S.RESUMING):
        role.state = Role.State.PENDING
        resource = Resource.State.ONLINE_PENDING if vm.state == S.STARTING else Resource.State.OFFLINE_PENDING
    elif vm.state == S.RUNNING:
        role.state, resource = Role.State.ONLINE, Resource.State.ONLINE
    else:
        role.state, resource = Role.State.OFFLINE, Resource.State.OFFLINE
    role.save(update_fields=["state"])
    Resource.objects.filter(role=role, virtual_machine=vm).update(state=resource)


#: A replica VM takes the primary's changes in these states: it may not run until it is failed over.
RECEIVING = (Replication.State.READY, Replication.State.WAITING, Replication.State.INITIAL,
             Replication.State.REPLICATING, Replication.State.SUSPENDED, Replication.State.ERROR,
             Replication.State.RESYNC_REQUIRED, Replication.State.RESYNCHRONIZING, Replication.State.PREPARED)


def replica_problem(vm):
    """Why a Replica virtual machine cannot start (it is the copy being replicated to), or ''."""
    if Replication.objects.filter(replica_vm=vm, state__in=RECEIVING).exists():
        return (f"{vm.name} is a Replica virtual machine: it cannot be started while it receives replication. "
                "Fail it over (Replication > Failover...), or check it with Replication > Test Failover....")
    return ""


def request_power(user, vm, action, sim_now=None):
    """Start / Save / Shut Down / Turn Off a VM (through its role when clustered).

    `sim_now` is given when the engine itself acts (a failover), so the new
    operation starts at the engine's time, not at the wall clock's."""
    if action not in ALLOWED_FROM:
        raise RoleError("Unknown action.")
    vm = VirtualMachine.objects.select_related("role__cluster__lab", "host_node__cluster__domain",
                                            "configuration_disk").get(pk=vm.pk)
    if vm.state not in ALLOWED_FROM[action]:
        raise RoleError(f"{POWER_LABELS[action]} is not possible while {vm.name} is {vm.get_state_display().lower()}.")
    host = vm.host_node
    problem = host_problem(vm, host)
    if problem:
        raise RoleError(problem)
    if action == START:
        problem = storage_problem(vm) or replica_problem(vm)
        if problem:
            raise RoleError(problem)
    with transaction.atomic():
        op = lifecycle.begin(
            vm.lab, Operation.Kind.VM_POWER, power_plan(vm, action), sim_now=sim_now,
            conflict=RoleError(f"{vm.name} is already changing state or moving; wait for it to finish."),
            role=vm.role, virtual_machine=vm, cluster=vm.role.cluster if vm.role_id else None,
            source_node=vm.host_node, target_node=vm.host_node, requested_by=user, was_running=vm.is_running)
        if action == START and vm.role_id:
            _bring_role_disks_online(vm)
    return op


def _bring_role_disks_online(vm):
    """Starting a role brings its group online: its own disks taken offline (Take Offline) come online first."""
    disks = list(ClusterDisk.objects.filter(role_id=vm.role_id, state=ClusterDisk.State.OFFLINE)
                 .values_list("pk", flat=True))
    if disks:
        ClusterDisk.objects.filter(pk__in=disks).update(state=ClusterDisk.State.ONLINE)
        Resource.objects.filter(cluster_disk_id__in=disks).update(state=Resource.State.ONLINE)
        for pk in disks:
            mark(vm.lab_id, Outbox.Kind.DISK, pk)


def host_problem(vm, host):
    """Why `vm` cannot change state on `host` now, with the way out; '' when it can."""
    if host.power_state == Node.PowerState.RESTARTING:
        return f"{host.name} is restarting; {vm.name} can change state once the server is On again."
    if host.power_state != Node.PowerState.ON:
        where = (f"Failover Cluster Manager > {host.cluster.fqdn} > Nodes > {host.name}" if host.cluster_id
                 else f"Servers > {host.name}")
        return (f"{host.name} is turned off; {vm.name} cannot change state there. Power the server on first: "
                f"{where} > Simulate > Power On.")
    if host.cluster_id and host.state not in MEMBERS:
        return (f"{host.name} is not running its Cluster service ({host.get_state_display().lower()}); "
                f"{vm.name} cannot change state there until it has joined the cluster again (Failover Cluster "
                f"Manager > {host.cluster.fqdn} > Nodes > {host.name} > More Actions > Start Cluster Service).")
    return ""
