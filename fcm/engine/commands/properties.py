"""Properties an administrator sets in a dialog: the cluster's, its networks' for live migration,
a role's (with its preferred owners), a Replica server's; and the lab clock's speed.

Each command checks what it is given, commits the change and its Outbox row
in one transaction (so other open consoles are told exactly what was
committed), and works on rows it has locked: two people saving the same
dialog at once get one result or the other, never a mix. A refusal is a
`PropertyError` in the product's words, and changes nothing.
"""
from django.db import IntegrityError, transaction

from fcm.inventory.models import Cluster, ClusterNetwork, Lab, Node, PreferredOwner, ReplicaServer, Role

from ..clock import CLOCK_SPEEDS, set_speed
from ..errors import PropertyError
from ..models import Outbox

#: Cluster common properties set with (Get-Cluster).<Property> = <value>: field -> (PowerShell name, low, high).
#: Ranges follow the failover clustering team's tuning guidance (fcm.md section 8.1).
CLUSTER_PROPERTIES = {
    "same_subnet_delay_ms": ("SameSubnetDelay", 250, 2000),
    "same_subnet_threshold": ("SameSubnetThreshold", 3, 120),
    "cross_subnet_delay_ms": ("CrossSubnetDelay", 250, 4000),
    "cross_subnet_threshold": ("CrossSubnetThreshold", 3, 120),
    "resiliency_period_s": ("ResiliencyDefaultPeriod", 0, 3600),
    "quarantine_threshold": ("QuarantineThreshold", 0, 100),
    "quarantine_duration_s": ("QuarantineDuration", 0, 86400),
}
#: Compute resiliency came with Windows Server 2016 (version order 5).
RESILIENCY_PROPERTIES = ("resiliency_period_s", "quarantine_threshold", "quarantine_duration_s")
#: Simultaneous live migrations a node allows (Set-VMHost -MaximumVirtualMachineMigrations).
SIMULTANEOUS_LIVE_MIGRATIONS = (1, 64)
#: The Replica server settings a dialog saves (the rest of the row belongs to the lab).
REPLICA_SERVER_SETTINGS = ("enabled", "kerberos", "kerberos_port", "certificate", "certificate_port", "allow_any",
                           "default_storage", "firewall_http", "firewall_https")




def _whole(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def cluster_property_names(cluster):
    """The properties the cluster's version has, in the dialog's order."""
    return [name for name in CLUSTER_PROPERTIES
            if cluster.version.order >= 5 or name not in RESILIENCY_PROPERTIES]


def set_cluster_properties(cluster, values):
    """Cluster -> Properties: heartbeat thresholds and, on 2016+, compute resiliency.

    `values`: {field: whole number} for some of `cluster_property_names(cluster)`."""
    allowed = cluster_property_names(cluster)
    for name, value in values.items():
        if name not in allowed:
            raise PropertyError(f"{cluster.name} has no property {name}.", name)
        label, low, high = CLUSTER_PROPERTIES[name]
        if not _whole(value, low, high):
            raise PropertyError(f"{label} must be from {low} to {high}.", name)
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
        if values:
            Cluster.objects.filter(pk=cluster.pk).update(**values)
        Outbox.objects.create(lab_id=cluster.lab_id, kind=Outbox.Kind.CLUSTER, object_id=cluster.pk)


def set_live_migration_settings(cluster, order, allowed, simultaneous):
    """Networks -> Live Migration Settings...: the networks in preference order, which may carry
    live migrations, and how many live migrations a node runs at once.

    `order`: cluster network pks, most preferred first (a network left out has no rank);
    `allowed`: the pks live migration may use (at least one of the cluster's);
    `simultaneous`: a whole number from 1 to 64 (None when what was typed is not a number)."""
    low, high = SIMULTANEOUS_LIVE_MIGRATIONS
    ranks = {pk: i for i, pk in enumerate(order, start=1)}
    allowed = set(allowed)
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
        nets = list(ClusterNetwork.objects.select_for_update().filter(cluster=cluster).order_by("pk"))
        if not allowed & {n.pk for n in nets}:
            raise PropertyError("Select at least one network for live migration.", "allowed")
        if not _whole(simultaneous, low, high):
            raise PropertyError(f"Simultaneous live migrations must be a number from {low} to {high}.",
                                "simultaneous")
        for n in nets:
            ClusterNetwork.objects.filter(pk=n.pk).update(live_migration_rank=ranks.get(n.pk),
                                                          live_migration_allowed=n.pk in allowed)
            Outbox.objects.create(lab_id=cluster.lab_id, kind=Outbox.Kind.NETWORK, object_id=n.pk)
        Cluster.objects.filter(pk=cluster.pk).update(simultaneous_live_migrations=simultaneous)
        Outbox.objects.create(lab_id=cluster.lab_id, kind=Outbox.Kind.CLUSTER, object_id=cluster.pk)


def set_role_properties(role, *, name, priority, failover_threshold, failover_period_hours, failback,
                        failback_window=None, preferred_owners=()):
    """A role's Properties: name, priority, failover threshold and period, failback (optionally
    only between two hours of the day), and its preferred owners in order (node pks, first tried first).

    Only these columns change: the role's state and owner, which the engine moves meanwhile, are
    left as they are. The name is checked under the cluster's lock, so two renames at once cannot
    give two roles one name."""
    name = (name or "").strip()
    if not name:
        raise PropertyError("Type a name for the role.", "name")
    if priority not in Role.Priority.values:
        raise PropertyError("Choose High, Medium, Low or No Auto Start.", "priority")
    if failback not in Role.Failback.values:
        raise PropertyError("Choose whether the role fails back.", "failback")
    start, end = failback_window if failback_window is not None else (None, None)
    if failback_window is not None and (failback != Role.Failback.ALLOW or not (
            _whole(start, 0, 23) and _whole(end, 0, 23))):
        raise PropertyError("Type the hours (0-23) between which failback may happen.", "window_start")
    if failover_threshold is not None and not _whole(failover_threshold, 0, 4294967295):
        raise PropertyError("Maximum failures in the specified period must be from 0 to 4294967295.",
                            "failover_threshold")
    if not _whole(failover_period_hours, 1, 1193):
        raise PropertyError("The period must be from 1 to 1193 hours.", "failover_period_hours")
    preferred = list(preferred_owners)
    if len(set(preferred)) != len(preferred):
        raise PropertyError("Give each preferred owner a different position (1 is tried first).")
    with transaction.atomic():
        Cluster.objects.select_for_update().filter(pk=role.cluster_id).first()
        role = Role.objects.select_for_update(of=("self",)).select_related("cluster").get(pk=role.pk)
        if Role.objects.filter(cluster_id=role.cluster_id, name__iexact=name).exclude(pk=role.pk).exists():
            raise PropertyError(f"Another role of this cluster is named {name}.", "name")
        nodes = set(Node.objects.filter(cluster_id=role.cluster_id, pk__in=preferred).values_list("pk", flat=True))
        if nodes != set(preferred):
            raise PropertyError("A preferred owner must be a node of this cluster.")
        try:
            with transaction.atomic():
                Role.objects.filter(pk=role.pk).update(
                    name=name, priority=priority, failover_threshold=failover_threshold,
                    failover_period_hours=failover_period_hours, failback=failback,
                    failback_window_start=start, failback_window_end=end)
        except IntegrityError:
            raise PropertyError(f"Another role of this cluster is named {name}.", "name") from None
        PreferredOwner.objects.filter(role=role).delete()
        PreferredOwner.objects.bulk_create([PreferredOwner(role=role, node_id=node_id, rank=i)
                                            for i, node_id in enumerate(preferred, start=1)])
        Outbox.objects.create(lab_id=role.cluster.lab_id, kind=Outbox.Kind.ROLE, object_id=role.pk)


def set_replica_server(server, settings, authorized):
    """Replication Settings of a Replica Broker / Replication Configuration of a Hyper-V server.

    `server`: the ReplicaServer (unsaved when the server was never configured); `settings`:
    {field: value} for REPLICA_SERVER_SETTINGS; `authorized`: (primary server, storage location,
    trust group) rows, which replace the server's list."""
    unknown = set(settings) - set(REPLICA_SERVER_SETTINGS)
    if unknown:
        raise PropertyError(f"A Replica server has no setting {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        if server.pk is None:
            try:
                with transaction.atomic():
                    server.save()
            except IntegrityError:
                raise PropertyError(f"{server.name} was configured meanwhile; open its settings again.") from None
        server = ReplicaServer.objects.select_for_update().get(pk=server.pk)
        ReplicaServer.objects.filter(pk=server.pk).update(**settings)
        server.authorizations.all().delete()
        for primary, storage, group in authorized:
            server.authorizations.create(primary_server=primary, storage_location=storage, trust_group=group)
        if server.broker_role_id:
            Outbox.objects.create(lab_id=server.lab_id, kind=Outbox.Kind.ROLE, object_id=server.broker_role_id)
        else:
            Outbox.objects.create(lab_id=server.lab_id, kind=Outbox.Kind.NODE, object_id=server.node_id)


def set_clock(lab, speed):
    """The status bar's clock: pause (`speed` 0), run at one of CLOCK_SPEEDS, or resume (`speed`
    None: at the speed it had, x1 after a pause). The lab row is held meanwhile, so two people
    changing it at once leave one speed and a continuous simulated time. `lab` is brought up to date."""
    if speed is not None and speed != 0 and speed not in CLOCK_SPEEDS:
        raise PropertyError("Choose pause, resume or one of the speeds " + ", ".join(f"x{s}" for s in CLOCK_SPEEDS)
                            + ".")
    with transaction.atomic():
        locked = Lab.objects.select_for_update().get(pk=lab.pk)
        set_speed(locked, (locked.speed or 1) if speed is None else speed)
    lab.sim_anchor, lab.wall_anchor, lab.speed = locked.sim_anchor, locked.wall_anchor, locked.speed
    return lab
