"""Hyper-V Manager's Move of a virtual machine in no cluster to another Hyper-V host (the Move Wizard's
"Move the virtual machine" with "Move the virtual machine's data to a single location"): checked as the
product checks it (fcm.sim.hyperv_moves), then queued as a VM_MOVE operation that starts when both hosts'
"Simultaneous live migrations" allow (kinds/vm_move.py).

Hyper-V Manager in the Servers view is connected to the VM's own host, so a CredSSP move starts on the
source, as CredSSP needs.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import Node, VirtualMachine
from fcm.sim import hyperv_moves

from .. import lifecycle
from ..effects.hyperv_hosts import host_facts
from ..effects.vms import resolve_location
from ..errors import ServerError, VmError
from ..models import Operation
from ..outbox import mark_vm

#: What a VM may be in to move: running (live), or off or saved (its files and configuration).
MOVABLE = (VirtualMachine.State.RUNNING, VirtualMachine.State.OFF, VirtualMachine.State.SAVED)


def vm_move_problem(vm, target, folder):
    """(message, wizard field) for the first reason `vm` cannot move to `target` into `folder`, else None;
    also the LUN `folder` is on (None: the destination's local disks)."""
    if vm.role_id:
        return (f"{vm.name} is the clustered role {vm.role.name}: move it in Failover Cluster Manager "
                f"(Move > Live Migration)."), "", None
    if vm.state not in MOVABLE:
        return f"{vm.name} is {vm.get_state_display().lower()}: wait until it is running, off or saved.", "", None
    problem = hyperv_moves.move_problem(
        vm.name, vm.state == VirtualMachine.State.RUNNING, vm.memory_mb, {vm.virtual_switch},
        host_facts(vm.host_node), host_facts(target))
    if problem:
        return problem.message, problem.page, None
    folder = (folder or "").strip()
    if not folder:
        return "Type the folder on the destination computer that receives the virtual machine.", "location", None
    try:
        disk = resolve_location(target, folder)
    except VmError as exc:
        return str(exc), "location", None
    return None, "", disk


def request_vm_move(user, vm, target, folder):
    """Queue the move of `vm` (in no cluster) to `target` with all its files in `folder`; returns the Operation.
    Refuses with a ServerError naming the wizard field (`destination`, `location`) it is about."""
    vm = VirtualMachine.objects.select_related("host_node", "role", "lab").get(pk=vm.pk)
    target = Node.objects.get(pk=target.pk, lab_id=vm.lab_id)
    message, field, disk = vm_move_problem(vm, target, folder)
    if message:
        raise ServerError(message, field)
    try:
        with transaction.atomic():
            lifecycle.admit(vm.lab)
            op = Operation.objects.create(
                lab=vm.lab, kind=Operation.Kind.VM_MOVE, virtual_machine=vm, source_node=vm.host_node,
                target_node=target, requested_by=user, was_running=vm.state == VirtualMachine.State.RUNNING,
                queued_at=vm.lab.sim_now(),
                plan={"folder": folder.strip(), "folder_disk_id": disk.pk if disk else None})
            mark_vm(vm)
    except IntegrityError:
        raise ServerError(f"{vm.name} is already changing state or moving; wait for it to finish.") from None
    lifecycle.start_queued(vm.lab)
    op.refresh_from_db()
    return op
