"""Hyper-V Manager's Checkpoint (Snapshot before Windows Server 2012 R2): a standard checkpoint of a running
VM writes its memory, a production one asks the guest to be consistent (VSS); then each drive's file is
frozen and the VM writes to a new differencing disk. The VM keeps running; its Status shows the progress.
"""
from ..effects import checkpoints
from ..models import Operation
from ..outbox import mark_vm
from ..registry import OperationKind, register


@register
class TakeCheckpoint(OperationKind):
    kind = Operation.Kind.CHECKPOINT

    def vm_status(self, op):
        return "Creating checkpoint" if op.plan.get("term") == "Checkpoint" else "Taking snapshot"

    def enter_phase(self, op, phase, sim_now):
        mark_vm(op.virtual_machine)

    def complete(self, op, sim_time):
        checkpoints.take(op, sim_time)
