"""A Hyper-V host as fcm.sim.hyperv_moves sees it, read from the lab (a few queries per host)."""
from django.db.models import Sum

from fcm.inventory.models import (
    MigrationNetwork, VirtualHardDisk, VirtualMachine, VirtualSwitch,
)
from fcm.sim import hyperv_moves
from fcm.sim.placement import HOST_RESERVE_MB

from ..outbox import mark_nodes
from .shares import node_networks
from .checkpoints import move_files


def host_facts(node):
    """The move rules' view of `node`: its version, power, Hyper-V Settings, delegation, networks,
    switches, processors and free memory."""
    networks = node_networks(node)
    used = VirtualMachine.objects.filter(host_node=node, state__in=VirtualMachine.RUNNING_STATES) \
        .aggregate(mb=Sum("memory_mb"))["mb"] or 0
    version = node.version
    return hyperv_moves.Host(
        name=node.name, version_order=version.order, version_label=version.label,
        on=node.power_state == node.PowerState.ON, hyperv=node.hyperv_installed, clustered=bool(node.cluster_id),
        migrations_enabled=node.vm_migration_enabled, authentication=node.migration_authentication,
        delegates_to=frozenset(node.delegates_to.values_list("name", flat=True)),
        use_any_network=node.use_any_network_for_migration,
        subnets=tuple(MigrationNetwork.objects.filter(node=node).order_by("priority", "pk")
                      .values_list("subnet", flat=True)),
        networks=networks,
        switches=frozenset(VirtualSwitch.objects.filter(node=node).values_list("name", flat=True)),
        processor_vendor=node.processor_vendor,
        free_memory_mb=max(node.memory_mb - HOST_RESERVE_MB - used, 0))


def rehome(op):
    """The VM is its destination host's now (the same host for a storage move), with its files in the folder
    the move was given, or where they were for an SMB live migration ("Move only the virtual machine")."""
    vm = op.virtual_machine
    fields = ["host_node", "configuration_version"]
    if not op.plan.get("only_vm"):
        folder = op.plan["folder"].rstrip("\\")
        disk_id, share_id = op.plan.get("folder_disk_id"), op.plan.get("folder_share_id")
        for vhd in VirtualHardDisk.objects.filter(virtual_machine=vm):
            vhd.path = f"{folder}\\{vhd.path.rsplit(chr(92), 1)[-1]}"
            vhd.disk_id, vhd.share_id = disk_id, share_id
            vhd.save(update_fields=["path", "disk", "share"])
        move_files(vm, folder)  # its checkpoints' files move too
        vm.configuration_path = folder
        vm.configuration_disk_id, vm.configuration_share_id = disk_id, share_id
        fields += ["configuration_path", "configuration_disk", "configuration_share"]
    # It keeps the configuration version its host gave it: a newer destination does not upgrade it.
    vm.configuration_version = vm.version
    vm.host_node = op.target_node
    vm.save(update_fields=fields)
    mark_nodes(op.lab_id, op.source_node, op.target_node)
