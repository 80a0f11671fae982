"""Making a VM highly available: the product's checks and the role it creates.

The rules are the product's (fcm.md section 5.1): on 2008 and 2008 R2 a VM
must be Off or Saved; on every version its configuration and VHDs must be on
storage every node reaches — a cluster disk in Available Storage (which then
moves into the role) or a Cluster Shared Volume; a virtual switch missing on
some node is only a warning.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import ClusterDisk, DiskPath, Node, Resource, Role, VirtualMachine, VirtualSwitch

from ..errors import RoleError
from ..outbox import mark_role


def ha_problems(vm, cluster):
    """(errors, warnings) for making `vm` highly available in `cluster`."""
    errors, warnings = [], []
    if vm.role_id:
        errors.append(f"{vm.name} is already highly available (role {vm.role.name}).")
        return errors, warnings
    host = vm.host_node.name
    if vm.host_node.cluster_id != cluster.pk:
        errors.append(f"{vm.name} is on {host}, which is not a node of {cluster.name}. Add {host} to the "
                      f"cluster first: Failover Cluster Manager > {cluster.fqdn} > Add Node...")
        return errors, warnings
    if cluster.version.order <= 2 and vm.state not in (VirtualMachine.State.OFF, VirtualMachine.State.SAVED):
        errors.append(f"The virtual machine '{vm.name}' is {vm.get_state_display().lower()}: on this version only "
                      f"a virtual machine that is off or saved can be made highly available. Shut down or save "
                      f"{vm.name} first: Servers > {host} > Virtual Machines > {vm.name}.")
    luns = [vm.configuration_disk] + [h.disk for h in vm.hard_disks.select_related("disk")]
    if any(lun is None for lun in luns):
        errors.append(f"{vm.name} keeps files on local storage of {host}; every file of a highly "
                      "available virtual machine must be on storage all nodes reach (a Cluster Shared Volume or "
                      "a disk in Available Storage).")
        return errors, warnings
    nodes = list(Node.objects.filter(cluster=cluster))
    for lun in {disk.pk: disk for disk in luns}.values():
        cd = ClusterDisk.objects.filter(cluster=cluster, disk=lun).first()
        if cd is None:
            errors.append(f"{lun.name} (where {vm.name} keeps files) is not a disk of {cluster.name}.")
            continue
        seeing = set(DiskPath.objects.filter(disk=lun, online=True).values_list("node_id", flat=True))
        missing = [n.name for n in nodes if n.pk not in seeing]
        if missing:
            unconnected = [n for n in missing if not DiskPath.objects.filter(disk=lun, node__name=n).exists()]
            how = (f" Connect its target there first: Servers > {unconnected[0]} > iSCSI Initiator."
                   if unconnected and lun.bus_type == lun.BusType.ISCSI else "")
            errors.append(f"{cd.name} is not reachable from {', '.join(missing)}.{how}")
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
    for cd in ClusterDisk.objects.filter(cluster=cluster, disk_id__in=luns,
                                         assignment=ClusterDisk.Assignment.AVAILABLE):
        ClusterDisk.objects.filter(pk=cd.pk).update(assignment=ClusterDisk.Assignment.ROLE, role=role,
                                                    owner_node=vm.host_node)
        disk_resource = Resource.objects.create(role=role, name=cd.name, type=Resource.Type.PHYSICAL_DISK,
                                                state=Resource.State.ONLINE, cluster_disk=cd)
        config.depends_on.add(disk_resource)
    if log:
        mark_role(role)
    return role
