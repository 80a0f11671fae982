"""A cluster network's Properties: its name and its cluster use (Role 0 None, 1 Cluster Only, 3 Cluster and
Client: `(Get-ClusterNetwork "<name>").Role = <n>`).

The rules are fcm.sim.networks'; the change commits with its Outbox row under the cluster's lock (two people
renaming networks at once cannot give two networks one name), and a refusal is a `NetworkError` at the field it
is about. The simulation reads the role where it always has: heartbeats only cross networks whose cluster use
is not None (effects/membership.links), live migration never takes one (facts.migration_network); so a change
of role is followed by a membership reconcile, which partitions the nodes it cuts off as a fault would.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import Cluster, ClusterAddress, ClusterNetwork
from fcm.sim import networks as netsim

from ..effects.membership import reconcile
from ..errors import NetworkError
from ..models import Outbox
from ..outbox import mark


def set_network_properties(user, cluster_network, name, role):
    """Networks > a network > Properties: `name` (unique in the cluster) and `role` (0, 1 or 3)."""
    name = (name or "").strip()
    with transaction.atomic():
        cluster = (Cluster.objects.select_for_update(of=("self",)).select_related("lab")
                   .get(pk=cluster_network.cluster_id))
        cn = ClusterNetwork.objects.select_for_update().get(pk=cluster_network.pk)
        nets = list(ClusterNetwork.objects.filter(cluster=cluster))
        problem = netsim.network_name_problem(name, [n.name for n in nets if n.pk != cn.pk])
        if problem:
            raise NetworkError(problem, "name")
        changed_role = role != cn.role
        if changed_role:
            by_subnet = {n.network_id: n.pk for n in nets}
            addresses = {}
            for network_id, ip in ClusterAddress.objects.filter(cluster=cluster).values_list("network_id",
                                                                                              "ip_address"):
                if network_id in by_subnet:
                    addresses.setdefault(by_subnet[network_id], []).append(ip)
            problem = netsim.network_role_problem(cn.pk, role, {n.pk: n.role for n in nets}, addresses)
            if problem:
                raise NetworkError(problem, "cluster_use")
        try:
            with transaction.atomic():
                ClusterNetwork.objects.filter(pk=cn.pk).update(name=name, role=role)
        except IntegrityError:
            raise NetworkError(netsim.network_name_problem(name, [name]), "name") from None
        mark(cluster.lab_id, Outbox.Kind.NETWORK, cn.pk)
    if changed_role and cluster.state == Cluster.State.RUNNING:
        reconcile(cluster, cluster.lab.sim_now(), user)
