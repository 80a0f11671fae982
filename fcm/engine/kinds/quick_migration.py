"""Quick Migration: the VM's state is saved to shared storage, its disk moves, it is restored on the target."""
from .. import planning
from ..effects.drain import drain_progress
from ..effects.moves import complete_quick, enter_quick_phase, log_move_failure
from ..models import Operation
from ..registry import OperationKind, register


@register
class QuickMigration(OperationKind):
    kind = Operation.Kind.QUICK_MIGRATION

    def plan(self, op, sim_now):
        return planning.plan_queued(op)

    def enter_phase(self, op, phase, sim_now):
        enter_quick_phase(op, phase)

    def complete(self, op, sim_time):
        complete_quick(op)

    def finished(self, op, state, sim_time):
        if state == Operation.State.FAILED:
            log_move_failure(op, op.get_kind_display(), op.message, sim_time)
        if op.source_node is not None:
            drain_progress(op.source_node)
