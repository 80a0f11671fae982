"""Initial replication (and resynchronization): the first copy reaches the replica, then cycles begin.

Over the network the copy's time comes from fcm.sim.replication; from an
existing VM both copies are compared; to external media the replica then
waits for Import Initial Replica.
"""
from fcm.inventory.models import Replication

from .. import phases
from ..effects.replication import fail, link_up, mark_replication, start_replicating
from ..models import Operation
from ..registry import OperationKind, register

State = Replication.State


@register
class InitialReplication(OperationKind):
    kind = Operation.Kind.INITIAL_REPLICATION

    def enter_phase(self, op, phase, sim_now):
        if phase["key"] == phases.INITIAL_COPY:
            rep = Replication.objects.get(pk=op.plan["replication"])
            if rep.state in (State.READY, State.WAITING):
                Replication.objects.filter(pk=rep.pk).update(state=State.INITIAL)
                mark_replication(rep)

    def complete(self, op, sim_time):
        rep = Replication.objects.filter(pk=op.plan.get("replication")).first()
        if rep is None:
            return
        if rep.initial_method == Replication.InitialMethod.MEDIA and rep.state != State.RESYNCHRONIZING:
            # The disks travel by courier: the replica waits for Import Initial Replica.
            Replication.objects.filter(pk=rep.pk).update(state=State.WAITING)
            mark_replication(rep)
            return
        if not link_up(rep):
            fail(rep, sim_time, "The initial replication could not be completed: the Replica server is unreachable.")
            return
        start_replicating(rep, sim_time)
