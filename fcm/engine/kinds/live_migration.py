"""Live Migration: memory copied in rounds while the VM runs, then a short blackout on the target.

A VM that is not running has nothing to copy: its live migration is a
quick migration of its group (the product does the same). At most
`SimultaneousLiveMigrations` run per host; the rest wait in the queue.
"""
from fcm.inventory.models.vms import MigrationState

from .. import planning
from ..effects.drain import drain_progress
from ..effects.moves import (
    MIGRATION_STATES, complete_quick, enter_quick_phase, hosts_limits, log_move_failure, switch_owner,
)
from ..models import Operation
from ..registry import OperationKind, register



@register
class LiveMigration(OperationKind):
    kind = Operation.Kind.LIVE_MIGRATION
    limit_group = "live"

    def host_limit(self, op):
        if not op.was_running:
            return None
        return hosts_limits(op, op.role.cluster.simultaneous_live_migrations, "max_vm_migrations")

    def plan(self, op, sim_now):
        return planning.plan_queued(op)

    def enter_phase(self, op, phase, sim_now):
        if not op.plan.get("live"):
            enter_quick_phase(op, phase)
            return
        vm = op.virtual_machine
        vm.migration_state = MIGRATION_STATES[phase["state"]]
        vm.save(update_fields=["migration_state"])
        if phase["key"] == "resume-on-target":
            switch_owner(op)

    def complete(self, op, sim_time):
        if not op.plan.get("live"):
            complete_quick(op)
            return
        op.virtual_machine.migration_state = MigrationState.NO_MIGRATION
        op.virtual_machine.save(update_fields=["migration_state"])

    def finished(self, op, state, sim_time):
        if state == Operation.State.FAILED:
            log_move_failure(op, "Live migration", op.message, sim_time)
        if op.source_node is not None:
            drain_progress(op.source_node)

    def cancellable(self, op, phase):
        """Until the VM starts switching to the target (the Move phases)."""
        return phase is None or phase["state"] != "Move"
