"""Cluster disks an administrator manages: the LUNs Add Disk offers, the nodes disks may move to, the drive
letters in use, and what a storage move (kinds/move_storage.py) does at each of its phases.

The decisions are fcm.sim.disks'; this module reads the lab into its plain facts and applies the results.
The read-only checks (`addable_disks`, `add_disk_refusal`, `move_options`, `drive_letters_in_use`) are
what the console's dialogs list; the commands (commands/storage.py) refuse with the same sentences.
"""
from collections import Counter, defaultdict

from fcm.inventory.models import ClusterDisk, Disk, DiskPath, Node
from fcm.sim import disks as disksim

from ..models import Outbox
from ..outbox import mark
from .storage import reconcile

#: The groups a storage move moves (Operation.plan["group"]).
AVAILABLE_STORAGE, CSV = "available", "csv"


# -- Add Disk --------------------------------------------------------------------------------------

def _lun_facts(cluster, disks):
    """{disk pk: LunFacts} for `disks` (Disk rows of the cluster's lab)."""
    nodes = {n.pk: n.name for n in Node.objects.filter(cluster=cluster)}
    seen = defaultdict(set)
    for disk_id, node_id in DiskPath.objects.filter(disk__in=disks, node_id__in=nodes, online=True,
                                                    disk__online=True).values_list("disk_id", "node_id"):
        seen[disk_id].add(nodes[node_id])
    used = dict(ClusterDisk.objects.filter(disk__in=disks).values_list("disk_id", "cluster__name"))
    return {d.pk: disksim.LunFacts(d.name, frozenset(seen[d.pk]), d.scsi3_persistent_reservation,
                                   used.get(d.pk, "")) for d in disks}


def _candidate_luns(cluster):
    """LUNs of the lab some node of the cluster has a path to, in name order."""
    return list(Disk.objects.filter(lab_id=cluster.lab_id, paths__node__cluster=cluster).distinct().order_by("name"))


def addable_disks(cluster):
    """[(Disk, the name it gets, "Disk N on node X")] that Add Disk lists (Get-ClusterAvailableDisk): LUNs every
    node sees, with persistent reservations, that no cluster uses yet."""
    luns = _candidate_luns(cluster)
    facts = _lun_facts(cluster, luns)
    nodes = [n.name for n in Node.objects.filter(cluster=cluster)]
    able = [d for d in luns if not disksim.add_disk_problem(facts[d.pk], nodes)]
    names = disksim.next_disk_names(list(ClusterDisk.objects.filter(cluster=cluster).values_list("name", flat=True)),
                                    len(able))
    owner = available_storage_owner(cluster)
    numbers = dict(DiskPath.objects.filter(disk__in=able, node=owner).values_list("disk_id", "disk_number")) \
        if owner else {}
    return [(d, name, f"Disk {numbers[d.pk]} on node {owner.name}" if d.pk in numbers else "")
            for d, name in zip(able, names)]


def add_disk_refusal(cluster, disk):
    """Why `disk` (a Disk of the lab) cannot be added to `cluster`, or ''."""
    facts = _lun_facts(cluster, [disk])[disk.pk]
    return disksim.add_disk_problem(facts, list(Node.objects.filter(cluster=cluster).values_list("name", flat=True)))


def available_storage_owner(cluster):
    """The node that owns Available Storage: the owner of most of its disks, else the first Up node."""
    owners = Counter(ClusterDisk.objects.filter(cluster=cluster, assignment=ClusterDisk.Assignment.AVAILABLE,
                                                owner_node__isnull=False).values_list("owner_node_id", flat=True))
    if owners:
        return Node.objects.get(pk=owners.most_common(1)[0][0])
    return Node.objects.filter(cluster=cluster, state=Node.State.UP, power_state=Node.PowerState.ON) \
        .order_by("node_id", "name").first()


# -- where disks may move ------------------------------------------------------------------------------

def node_reach(cluster):
    """[NodeReach] of the cluster's nodes: their state (Down when off) and the LUNs they reach."""
    reach = defaultdict(set)
    for node_id, lun in DiskPath.objects.filter(node__cluster=cluster, online=True, disk__online=True) \
            .values_list("node_id", "disk__name"):
        reach[node_id].add(lun)
    return [disksim.NodeReach(n.name, n.state if n.power_state == Node.PowerState.ON else Node.State.DOWN,
                              frozenset(reach[n.pk]))
            for n in Node.objects.filter(cluster=cluster).order_by("name")]


def move_options(cluster, disks, current):
    """[(Node, reason or '')] for every node other than `current` (a node name): where `disks` may move."""
    luns = [d.disk.name for d in disks]
    by_name = {n.name: n for n in Node.objects.filter(cluster=cluster)}
    return [(by_name[r.name], disksim.disk_move_ineligibility(r, luns))
            for r in node_reach(cluster) if r.name != current]


def best_node(cluster, disks, current):
    """Best Possible Node for `disks`: a Node, or None."""
    name = disksim.best_node_for_disks(node_reach(cluster), [d.disk.name for d in disks], current)
    return Node.objects.get(cluster=cluster, name=name) if name else None


# -- drive letters --------------------------------------------------------------------------------------

def drive_letters_in_use(cluster, exclude=None):
    """{node name: {letter: what uses it}} for every node of the cluster: its own disks (C:, D:) and the LUNs it
    sees (by their cluster disk name when clustered), `exclude` (a Disk) left out."""
    in_use = {n: {letter: "local disk" for letter in disksim.LOCAL_DRIVE_LETTERS}
              for n in Node.objects.filter(cluster=cluster).values_list("name", flat=True)}
    paths = DiskPath.objects.filter(node__cluster=cluster).exclude(disk__drive_letter="") \
        .select_related("disk__cluster_disk", "node")
    if exclude is not None:
        paths = paths.exclude(disk=exclude)
    for p in paths:
        cd = getattr(p.disk, "cluster_disk", None)
        in_use[p.node.name].setdefault(p.disk.drive_letter.upper(), cd.name if cd else p.disk.name)
    return in_use


# -- a storage move's phases (kinds/move_storage.py) -----------------------------------------------------------

def moving_disks(op):
    """The disks a storage move still moves: those of its plan still in the group it moves."""
    assignment = ClusterDisk.Assignment.CSV if op.plan["group"] == CSV else ClusterDisk.Assignment.AVAILABLE
    return ClusterDisk.objects.filter(pk__in=op.plan["disks"], assignment=assignment)


def _set(op, disks, **values):
    disks.update(**values)
    for pk in disks.values_list("pk", flat=True):
        mark(op.lab_id, Outbox.Kind.DISK, pk)


def enter_storage_move_phase(op, phase):
    """Offline Pending on the owner, Offline while the reservations move, Online Pending on the target (a disk
    that was offline moves offline); a CSV shows Online Pending while its coordinator moves."""
    disks = moving_disks(op)
    online = disks.filter(pk__in=op.plan["online"])
    key = phase["key"]
    if op.plan["group"] == CSV:
        if key == "move-disk":
            _set(op, online, state=ClusterDisk.State.ONLINE_PENDING)
        return
    if key == "take-offline":
        _set(op, online, state=ClusterDisk.State.OFFLINE_PENDING)
    elif key == "move-disk":
        _set(op, online, state=ClusterDisk.State.OFFLINE)
    elif key == "bring-online":
        _set(op, disks, owner_node=op.target_node)
        _set(op, disks.filter(pk__in=op.plan["online"]), state=ClusterDisk.State.ONLINE_PENDING)


def complete_storage_move(op, sim_time):
    """The disks are the target's, in the state they had; then they follow the paths as ever (a target that lost
    its path meanwhile hands them on)."""
    disks = moving_disks(op)
    was_online = set(op.plan["online"])
    _set(op, disks, owner_node=op.target_node)
    _set(op, disks.filter(pk__in=was_online), state=ClusterDisk.State.ONLINE)
    _set(op, disks.exclude(pk__in=was_online).exclude(state=ClusterDisk.State.FAILED),
         state=ClusterDisk.State.OFFLINE)
    reconcile(op.cluster, sim_time)
