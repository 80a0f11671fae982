"""The merge a deleted checkpoint leaves: each differencing disk no checkpoint needs is written into its
parent and removed ("Merge in progress" in Hyper-V Manager's Status). From Windows Server 2012 it runs while
the VM runs; before, it starts when the VM is turned off (fcm.engine.commands.checkpoints)."""
from ..effects import checkpoints
from ..models import Operation
from ..registry import OperationKind, register


@register
class MergeCheckpoint(OperationKind):
    kind = Operation.Kind.CHECKPOINT_MERGE

    def vm_status(self, op):
        return "Merge in progress"

    def complete(self, op, sim_time):
        vm = op.virtual_machine
        vm.refresh_from_db()
        checkpoints.merge(vm, sim_time)
