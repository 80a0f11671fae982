"""Move Available Storage, or a Cluster Shared Volume's coordinator: the disks go offline, their reservations
move, they come online on the target (a CSV stays mounted while its coordinator changes)."""
from ..effects.disks import complete_storage_move, enter_storage_move_phase
from ..models import Operation
from ..registry import OperationKind, register


@register
class MoveStorage(OperationKind):
    kind = Operation.Kind.MOVE_STORAGE

    def enter_phase(self, op, phase, sim_now):
        enter_storage_move_phase(op, phase)

    def complete(self, op, sim_time):
        complete_storage_move(op, sim_time)
