"""Hyper-V Manager's Move of a virtual machine in no cluster (the Move Wizard): "Move the virtual machine"
to another Hyper-V host with its data in one folder there, checked as the product checks it
(fcm.sim.hyperv_moves) and queued as a VM_MOVE operation that starts when both hosts' "Simultaneous live
migrations" allow (kinds/vm_move.py); or "Move the virtual machine's storage" to another folder of its
host, a VM_STORAGE_MOVE within the host's "Simultaneous storage migrations" (kinds/vm_storage_move.py).

Hyper-V Manager in the Servers view is connected to the VM's own host, so a CredSSP move starts on the
source, as CredSSP needs.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import Node, VirtualMachine
from fcm.sim import hyperv_moves

from .. import lifecycle
from ..effects.hyperv_hosts import host_facts
from ..effects.shares import usable_share
from ..effects.vms import placed, resolve_location
from ..errors import ServerError, VmError
from ..models import Operation
from ..outbox import mark_vm

#: What a VM may be in to move: running (live), or off or saved (its files and configuration).
MOVABLE = (VirtualMachine.State.RUNNING, VirtualMachine.State.OFF, VirtualMachine.State.SAVED)


def vm_move_problem(vm, target, folder, on_source=False):
    """(message, wizard field, LUN) for the first reason `vm` cannot move to `target` into `folder` (None:
    the destination alone is checked), else (None, "", the LUN `folder` is on or None for local disks).
    `on_source`: the user works on the VM's host (fcm.wizards.signed_in), which CredSSP needs; else at a
    management workstation."""
    if vm.role_id:
        return (f"{vm.name} is the clustered role {vm.role.name}: move it in Failover Cluster Manager "
                f"(Move > Live Migration)."), "", None
    if vm.state not in MOVABLE:
        return f"{vm.name} is {vm.get_state_display().lower()}: wait until it is running, off or saved.", "", None
    problem = hyperv_moves.move_problem(
        vm.name, vm.state == VirtualMachine.State.RUNNING, vm.memory_mb, {vm.virtual_switch},
        host_facts(vm.host_node), host_facts(target), started_on_source=on_source)
    if problem:
        return problem.message, problem.page, None
    if folder is None:  # the destination alone (the wizard's Specify Destination Computer)
        return None, "", None
    folder = folder.strip()
    if not folder:
        return "Type the folder on the destination computer that receives the virtual machine.", "location", None
    try:
        disk = resolve_location(target, folder)
    except VmError as exc:
        return str(exc), "location", None
    return None, "", disk


def vm_storage_move_problem(vm, folder):
    """(message, wizard field, LUN of `folder` or None) for moving `vm`'s files to `folder` on its own host."""
    if vm.role_id:
        return (f"{vm.name} is the clustered role {vm.role.name}: move its storage in Failover Cluster Manager "
                f"(Move > Virtual Machine Storage)."), "", None
    if vm.state not in MOVABLE:
        return f"{vm.name} is {vm.get_state_display().lower()}: wait until it is running, off or saved.", "", None
    host = vm.host_node
    if host.version.order < hyperv_moves.MOVE_VERSION_ORDER:
        return f"Moving a running virtual machine's storage needs Windows Server 2012 or later: {host.name} runs " \
               f"{host.version.label}.", "", None
    folder = (folder or "").strip()
    if not folder:
        return "Type the folder that receives the virtual machine's files.", "location", None
    if folder.rstrip("\\").lower() == (vm.configuration_path or "").rstrip("\\").lower():
        return f"{vm.name}'s files are already in {folder}: choose another folder.", "location", None
    try:
        disk = resolve_location(host, folder)
    except VmError as exc:
        return str(exc), "location", None
    needed = vm.storage_bytes()
    if disk is not None and needed > disk.free_bytes:
        return (f"{getattr(disk, 'unc', None) or disk.name} has {disk.free_bytes // 2**30} GB free; {vm.name}'s "
                f"files need {needed // 2**30} GB."), "location", None
    return None, "", disk


def smb_move_problem(vm, target):
    """Why "Move only the virtual machine" cannot take `vm` to `target` (its files staying where they are), or
    None: every file must be on an SMB 3.0 share that the destination may use too."""
    places = [(vm.configuration_share, vm.configuration_disk, vm.configuration_path)] + [
        (h.share, h.disk, h.path) for h in vm.hard_disks.select_related("share__server", "disk")]
    for share, disk, path in places:
        if share is None:
            where = f"{disk.name}, a disk only {vm.host_node.name} uses" if disk else \
                f"{vm.host_node.name}'s local disks"
            return (f"Move only the virtual machine needs its files on storage both servers use, an SMB 3.0 file "
                    f"share: {path} is on {where}. Move its data too.")
    for share in {share.pk: share for share, _, _ in places}.values():
        try:
            usable_share(target, share.unc)
        except VmError as exc:
            return str(exc)
    return None


def _queue(user, vm, kind, target, folder, place, only_vm=False):
    where = placed(place)
    try:
        with transaction.atomic():
            lifecycle.admit(vm.lab)
            op = Operation.objects.create(
                lab=vm.lab, kind=kind, virtual_machine=vm, source_node=vm.host_node, target_node=target,
                requested_by=user, was_running=vm.state == VirtualMachine.State.RUNNING, queued_at=vm.lab.sim_now(),
                plan={"folder": folder.strip(), "only_vm": only_vm,
                      "folder_disk_id": where["disk"].pk if where["disk"] else None,
                      "folder_share_id": where["share"].pk if where["share"] else None})
            mark_vm(vm)
    except IntegrityError:
        raise ServerError(f"{vm.name} is already changing state or moving; wait for it to finish.") from None
    lifecycle.start_queued(vm.lab)
    op.refresh_from_db()
    return op


def request_vm_storage_move(user, vm, folder):
    """Queue the move of `vm`'s files (in no cluster) to `folder` on its host; returns the Operation."""
    vm = VirtualMachine.objects.select_related("host_node", "role", "lab").get(pk=vm.pk)
    message, field, disk = vm_storage_move_problem(vm, folder)
    if message:
        raise ServerError(message, field)
    return _queue(user, vm, Operation.Kind.VM_STORAGE_MOVE, vm.host_node, folder, disk)


def request_vm_move(user, vm, target, folder, on_source=False, only_vm=False):
    """Queue the move of `vm` (in no cluster) to `target` with all its files in `folder`, or with `only_vm` its
    files staying on their SMB share (an SMB live migration); returns the Operation. Refuses with a ServerError
    naming the wizard field (`destination`, `options`, `location`) it is about. `on_source`: the user works on
    the VM's host (see `vm_move_problem`)."""
    vm = VirtualMachine.objects.select_related("host_node", "role", "lab", "configuration_share",
                                               "configuration_disk").get(pk=vm.pk)
    target = Node.objects.get(pk=target.pk, lab_id=vm.lab_id)
    message, field, place = vm_move_problem(vm, target, None if only_vm else folder, on_source)
    if not message and only_vm:
        message, field = smb_move_problem(vm, target), "options"
    if message:
        raise ServerError(message, field)
    return _queue(user, vm, Operation.Kind.VM_MOVE, target, vm.configuration_path if only_vm else folder, place,
                  only_vm)
