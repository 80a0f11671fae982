"""Configure Cluster Quorum Settings: the chosen mode and witness apply when the step ends."""
from fcm.inventory.models import Cluster, ClusterDisk
from fcm.sim import quorum

from ..models import Operation
from ..registry import OperationKind, register


def apply_quorum(op):
    """Set the mode and witness the Configure Cluster Quorum Settings wizard chose."""
    p = op.plan["params"]
    cluster = Cluster.objects.get(pk=op.cluster_id)
    ClusterDisk.objects.filter(cluster=cluster, assignment=ClusterDisk.Assignment.WITNESS).update(
        assignment=ClusterDisk.Assignment.AVAILABLE)
    cluster.quorum_type = p["mode"]
    cluster.file_share_witness = p.get("file_share", "") if p["mode"] == quorum.NODE_AND_FILE_SHARE else ""
    if p.get("witness_disk"):
        ClusterDisk.objects.filter(cluster=cluster, pk=p["witness_disk"]).update(
            assignment=ClusterDisk.Assignment.WITNESS, role=None, csv_number=None)
    cluster.save(update_fields=["quorum_type", "file_share_witness"])


@register
class ConfigureQuorum(OperationKind):
    kind = Operation.Kind.CONFIGURE_QUORUM

    def complete(self, op, sim_time):
        apply_quorum(op)
