"""Move commands: Live Migration, Quick Migration, Virtual Machine Storage Migration, Cancel.

`request_moves` (effects/moves) is the same door for the console's Move
menu and the engine's own drains and failbacks; the plans and the Select
Node dialog's options are engine/planning.py's.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import ClusterEvent
from fcm.inventory.models.vms import MigrationState

from .. import lifecycle, planning, registry
from ..effects.moves import MoveResult, request_moves
from ..errors import MoveError
from ..events import HA_SOURCE, log_event
from ..models import Operation
from ..outbox import mark_role

__all__ = ["MoveResult", "cancel", "cancel_validation", "request_moves", "request_storage_move"]


def request_storage_move(user, role, target_disk):
    vm = role.virtual_machine
    cluster = role.cluster
    if cluster.version.order < 3:
        raise MoveError("Virtual machine storage migration needs Windows Server 2012 or later.")
    if target_disk.pk not in {d.pk for d in planning.storage_targets(cluster, vm)}:
        raise MoveError(f"{target_disk.name} cannot receive the storage of {vm.name}.")
    needed = vm.storage_bytes()
    if needed > target_disk.disk.free_bytes:
        raise MoveError(f"{target_disk.name} has {target_disk.disk.free_bytes // 2**30} GB free; "
                        f"{vm.name} needs {needed // 2**30} GB.")
    try:
        with transaction.atomic():
            lifecycle.admit(cluster.lab)
            op = Operation.objects.create(
                lab=cluster.lab, kind=Operation.Kind.STORAGE_MIGRATION, role=role, virtual_machine=vm,
                source_node=vm.host_node,
                target_node=vm.host_node, target_disk=target_disk, requested_by=user,
                was_running=vm.is_running, queued_at=cluster.lab.sim_now())
            mark_role(role)
    except IntegrityError:
        raise MoveError(f"{role.name} is already being moved.") from None
    lifecycle.start_queued(cluster.lab)
    op.refresh_from_db()
    return op


def cancel(op, user=None):
    """Cancel Live Migration: a queued move is dropped; a running one stops
    before the VM switches hosts, and the VM keeps running on the source."""
    with transaction.atomic():
        op = Operation.objects.select_for_update(of=("self",)).select_related(
            "lab", "role__cluster", "virtual_machine", "source_node", "target_node").get(pk=op.pk)
        if not op.is_active:
            raise MoveError("This move has already finished.")
        sim_now = op.lab.sim_now()
        if op.state == Operation.State.RUNNING:
            phase = op.current_phase(sim_now)
            if not registry.handler(op.kind).cancellable(op, phase):
                raise MoveError("The virtual machine is already switching to the target: too late to cancel.")
            vm = op.virtual_machine
            vm.migration_state = MigrationState.NO_MIGRATION
            vm.save(update_fields=["migration_state"])
        claimed = Operation.objects.filter(pk=op.pk, state=op.state, phase_index=op.phase_index).update(
            state=Operation.State.CANCELLED, finished_at=sim_now, next_due_at=None,
            message="The live migration was cancelled.")
        if not claimed:
            raise MoveError("The move changed meanwhile; try again.")
        if op.state == Operation.State.RUNNING:
            log_event(op.lab, op.role.cluster, ClusterEvent.Level.ERROR, 21502,
                      f"Live migration of 'Virtual Machine {op.virtual_machine.name}' to {op.target_node.name} "
                      f"was cancelled. The virtual machine keeps running on {op.source_node.name}.",
                      node=op.source_node, role=op.role, source=HA_SOURCE, sim_time=sim_now)
        mark_role(op.role)
    lifecycle.start_queued(op.lab, queue_changed=True)


def cancel_validation(op):
    """Cancel in the Validating page: finished tests keep their results."""
    with transaction.atomic():
        op = Operation.objects.select_related("lab").get(pk=op.pk)
        if not op.is_active:
            raise MoveError("The validation has already finished.")
        sim_now = op.lab.sim_now()
        claimed = Operation.objects.filter(pk=op.pk, state=op.state, phase_index=op.phase_index).update(
            state=Operation.State.CANCELLED)
        if not claimed:
            raise MoveError("The validation moved on meanwhile; try again.")
        lifecycle.finish(op, Operation.State.CANCELLED, sim_now, "Canceled by the user.")
