"""Clustered role commands: Configure Role (VMs, the Replica Broker), Remove, resources online and offline.

Power actions (Start, Save, Shut Down, Turn Off): `request_power`, the same function the engine's own
failovers use (effects/power.py). The High Availability checks are `effects.roles`.
"""
from django.db import transaction

from fcm.inventory.models import ClusterDisk, Resource, Role, VirtualMachine

from .. import lifecycle
from .. import phases as keys
from ..effects.broker import broker_problems
from ..effects.power import POWER_LABELS, SAVE, START, request_power
from ..errors import ReplicationError, RoleError
from ..models import Operation, Outbox
from ..outbox import mark, mark_role
from ..phases import sequence

__all__ = ["POWER_LABELS", "remove_role", "request_power", "set_resource_state", "start_configure_broker",
           "start_configure_role"]


def remove_role(role):
    """Remove: the role goes, the VM stays on its host; its disk returns to Available Storage."""
    with transaction.atomic():
        role = Role.objects.select_related("cluster__lab").get(pk=role.pk)
        if Operation.objects.filter(role=role, state__in=Operation.ACTIVE).exists():
            raise RoleError(f"{role.name} is changing state or moving; wait for it to finish.")
        ClusterDisk.objects.filter(role=role).update(assignment=ClusterDisk.Assignment.AVAILABLE, role=None)
        VirtualMachine.objects.filter(role=role).update(role=None)
        cluster = role.cluster
        role.delete()
        mark(cluster.lab_id, Outbox.Kind.CLOCK)  # consoles re-render their status bar; lists refresh on use
    return cluster


# -- Configure Role (High Availability wizard) ------------------------------------------
def start_configure_role(user, cluster, vm_ids):
    """One phase per VM: each is checked and made highly available in turn; the
    report (op.result) says which became roles and why the others did not."""
    vms = list(VirtualMachine.objects.filter(pk__in=vm_ids).order_by("name"))
    steps, _ = sequence((keys.CONFIGURE_VM, f"Configuring {vm.name}", 2.0, "Configuring", str(vm.pk)) for vm in vms)
    return _start_configure_op(user, cluster, steps, f"{len(vms)} virtual machine(s)")


def _start_configure_op(user, cluster, steps, summary):
    """The High Availability wizard's operation: its phases configure one role each (op.result lists them)."""
    return lifecycle.begin(cluster.lab, Operation.Kind.CONFIGURE_ROLE, lifecycle.make_plan(steps, summary),
                           cluster=cluster, requested_by=user, was_running=False, result={"vms": []})


def set_resource_state(user, resource, online):
    """Bring Online / Take Offline one resource, honouring dependencies.

    The Virtual Machine resource starts or saves the VM (its offline action
    is Save, the product's default); a disk or configuration resource goes
    at once, once the resources that depend on it are offline.
    """
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
        Resource.objects.filter(pk=resource.pk).update(state=Resource.State.ONLINE if online
                                                       else Resource.State.OFFLINE)
        if resource.cluster_disk_id:  # a Physical Disk resource is its cluster disk (Storage > Disks shows it)
            ClusterDisk.objects.filter(pk=resource.cluster_disk_id).exclude(state=ClusterDisk.State.FAILED).update(
                state=ClusterDisk.State.ONLINE if online else ClusterDisk.State.OFFLINE)
            mark(role.cluster.lab_id, Outbox.Kind.DISK, resource.cluster_disk_id)
        states = set(Resource.objects.filter(role=role).values_list("state", flat=True))
        role.state = (Role.State.ONLINE if states == {Resource.State.ONLINE} else
                      Role.State.OFFLINE if states == {Resource.State.OFFLINE} else Role.State.PARTIAL_ONLINE)
        role.save(update_fields=["state"])
        mark_role(role)
    return None


def start_configure_broker(user, cluster, name, ip):
    """Configure Role -> Hyper-V Replica Broker, as the High Availability wizard's operation."""
    errors = broker_problems(cluster, name, ip)
    if errors:
        raise ReplicationError(" ".join(errors.values()))
    steps, _ = sequence([(keys.CONFIGURE_BROKER, f"Configuring Hyper-V Replica Broker {name}", 3.0, "Broker",
                          f"{name} {ip}")])
    return _start_configure_op(user, cluster, steps, f"Hyper-V Replica Broker {name}")
