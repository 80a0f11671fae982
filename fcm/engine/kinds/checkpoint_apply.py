"""Apply (Revert for the latest) of a checkpoint: with Take Checkpoint and Apply, a checkpoint of the current
state first; a running VM is turned off (its current state is lost); then its drives grow new differencing
disks under the checkpoint's files and it is saved or off, as the checkpoint was.
"""
from fcm.inventory.models.vms import VirtualMachine

from ..effects import checkpoints
from ..models import Operation
from ..outbox import mark_vm
from ..registry import OperationKind, register

#: Phase keys of an Apply.
TAKE_FIRST, TURN_OFF, APPLY = "take-checkpoint", "turn-off", "apply-checkpoint"


@register
class ApplyCheckpoint(OperationKind):
    kind = Operation.Kind.CHECKPOINT_APPLY

    def vm_status(self, op):
        return f"Applying {op.plan['term'].lower()}"

    def enter_phase(self, op, phase, sim_now):
        vm = op.virtual_machine
        if phase["key"] in (TURN_OFF, APPLY) and op.plan.get("take_first") and not op.plan.get("taken"):
            checkpoints.take(op, sim_now)  # Take Checkpoint and Apply: the current state is kept first
            op.plan["taken"] = True
            Operation.objects.filter(pk=op.pk).update(plan=op.plan)
            vm.refresh_from_db()
        if phase["key"] == TURN_OFF:
            vm.state = VirtualMachine.State.STOPPING
            vm.save(update_fields=["state"])
        mark_vm(vm)

    def complete(self, op, sim_time):
        checkpoints.apply(op, sim_time)
