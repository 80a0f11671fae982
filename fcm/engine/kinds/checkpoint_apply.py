"""Apply (Revert for the latest) of a checkpoint: with Take Checkpoint and Apply, a checkpoint of the current
state first; a running VM is turned off (its current state is lost); then its drives grow new differencing
disks under the checkpoint's files and it is saved or off, as the checkpoint was.
"""
from fcm.inventory.models.vms import VirtualMachine

from ..effects import checkpoints
from ..effects.power import role_follows_vm
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
            role_follows_vm(vm, vm.role)
        mark_vm(vm)

    def complete(self, op, sim_time):
        checkpoints.apply(op, sim_time)
        vm = VirtualMachine.objects.select_related("role").get(pk=op.virtual_machine_id)
        role_follows_vm(vm, vm.role)

    def finished(self, op, state, sim_time):
        vm = VirtualMachine.objects.select_related("role", "host_node").get(pk=op.virtual_machine_id)
        if state != Operation.State.COMPLETED and vm.state == VirtualMachine.State.STOPPING:
            # Failed while turning it off (its host left the cluster): it is off, its state discarded.
            vm.state, vm.started_at = VirtualMachine.State.OFF, None
            vm.save(update_fields=["state", "started_at"])
            role_follows_vm(vm, vm.role)
            checkpoints.changed(vm)
        elif state == Operation.State.COMPLETED:
            checkpoints.start_merge(op.requested_by, vm, sim_now=sim_time)  # what the Apply left unneeded
