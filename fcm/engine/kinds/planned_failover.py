"""Planned Failover: the last changes are sent, the replica becomes the primary, replication is reversed."""
from datetime import timedelta

from fcm.inventory.models import RecoveryPoint, Replication

from ..effects.power import START, request_power
from ..effects.replication import find_server, mark_replication, primary_name
from ..errors import RoleError
from ..models import Operation
from ..registry import OperationKind, register

State = Replication.State


def finish_planned_failover(rep, op, sim_time):
    """The replica becomes the primary; replication now runs the other way."""
    rep = Replication.objects.select_related("primary_vm__host_node", "replica_vm__host_node", "lab").get(pk=rep.pk)
    old_primary, new_primary = rep.primary_vm, rep.replica_vm
    reverse = find_server(rep.lab, rep.primary_server)
    new_primary_name = primary_name(new_primary)
    RecoveryPoint.objects.filter(replication=rep).delete()
    Replication.objects.filter(pk=rep.pk).update(
        primary_vm=new_primary, replica_vm=old_primary, replica_server=reverse, primary_server=new_primary_name,
        state=State.REPLICATING, pending_mib=0, last_sync_at=sim_time, failed_over_at=sim_time,
        next_cycle_at=sim_time + timedelta(seconds=rep.frequency_s))
    RecoveryPoint.objects.create(replication=rep, sim_time=sim_time)
    mark_replication(rep)
    if op.plan.get("start_replica"):
        new_primary.refresh_from_db()
        try:
            request_power(op.requested_by, new_primary, START, sim_now=sim_time)
        except RoleError:
            pass


@register
class PlannedFailover(OperationKind):
    kind = Operation.Kind.PLANNED_FAILOVER

    def complete(self, op, sim_time):
        rep = Replication.objects.filter(pk=op.plan.get("replication")).first()
        if rep is not None:
            finish_planned_failover(rep, op, sim_time)
