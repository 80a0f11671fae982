"""A VM's state change (Start, Save, Shut Down, Turn Off, Pause, Resume): the VM, its role and resources follow
its phase; a VM in no cluster is pushed to the consoles showing it (its Outbox row)."""
from fcm.inventory.models.vms import MigrationState, VirtualMachine

from ..effects.checkpoints import start_merge
from ..effects.moves import log_move_failure
from ..effects.power import PAUSE, RESUME, SAVE, START, role_follows_vm
from ..models import Operation
from ..outbox import mark_vm
from ..registry import OperationKind, register


def enter_power_phase(op, phase):
    """The VM shows the phase's state (Starting, Saving, Stopping); its role is Pending meanwhile."""
    vm, role = op.virtual_machine, op.role
    vm.state = VirtualMachine.State(phase["state"])
    vm.save(update_fields=["state"])
    mark_vm(vm)
    role_follows_vm(vm, role)


def complete_power(op, sim_time):
    vm, role = op.virtual_machine, op.role
    action = op.plan["action"]
    if action == START:
        vm.state = VirtualMachine.State.RUNNING
        if op.plan.get("from_state") != VirtualMachine.State.SAVED:
            vm.started_at = sim_time  # a cold boot: uptime starts again
    elif action == SAVE:
        vm.state = VirtualMachine.State.SAVED
    elif action == PAUSE:
        vm.state = VirtualMachine.State.PAUSED
    elif action == RESUME:
        vm.state = VirtualMachine.State.RUNNING  # the same boot: its uptime goes on
    else:
        vm.state = VirtualMachine.State.OFF
        vm.started_at = None
    vm.migration_state = MigrationState.NO_MIGRATION
    vm.save(update_fields=["state", "started_at", "migration_state"])
    mark_vm(vm)
    role_follows_vm(vm, role)


@register
class VmPower(OperationKind):
    kind = Operation.Kind.VM_POWER

    def enter_phase(self, op, phase, sim_now):
        enter_power_phase(op, phase)

    def complete(self, op, sim_time):
        complete_power(op, sim_time)

    def finished(self, op, state, sim_time):
        if state == Operation.State.FAILED:
            log_move_failure(op, op.get_kind_display(), op.message, sim_time)
        elif state == Operation.State.COMPLETED:
            # A merge that waited (before 2012 a deleted snapshot merges only once the VM is off).
            op.virtual_machine.refresh_from_db()
            start_merge(op.requested_by, op.virtual_machine, sim_now=sim_time)
