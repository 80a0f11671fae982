"""Cluster membership after a communication fault: partitions, the side that keeps running, isolation.

Nodes talk over the cluster networks they are connected to (a network with
cluster use None carries no heartbeats). When links break, the running
nodes fall into partitions: groups that still reach each other, directly
or through a third node. Only a partition holding quorum keeps the cluster
running (fcm.md section 4); the others stop their Cluster service, so a
role never runs twice (no split brain).

Who wins a tie: the witness. A disk witness goes to the partition that can
arbitrate for it (the one holding its current owner, else the first with a
storage path to it); a file share or cloud witness goes to the partition
that reaches it first, taken here as the larger one, then the one holding
the first node by name (the product's race is not deterministic; a
simulation has to be).

Windows Server 2016 added compute resiliency: a node cut off by a transient
fault (its network, or its Cluster service) is first *Isolated* for the
resiliency period (ResiliencyDefaultPeriod, 240 s) while its VMs keep
running *Unmonitored*; only then is it removed and its roles fail over. A
node isolated QuarantineThreshold times (3) within an hour is *Quarantined*
for QuarantineDuration (7,200 s): it may not join and its roles leave it.
A power loss is not transient: the node is removed after the heartbeat
threshold as before.
"""
from dataclasses import dataclass

from . import quorum

#: Windows Server 2016 is version order 5 (fcm/sim/versions.py).
RESILIENCY_VERSION_ORDER = 5
RESILIENCY_DEFAULT_PERIOD_S = 240
QUARANTINE_THRESHOLD = 3
QUARANTINE_DURATION_S = 7200
#: Isolations are counted over this window for quarantine.
QUARANTINE_WINDOW_S = 3600


def partitions(links):
    """Group nodes that can reach each other.

    `links` maps each running node to the set of cluster networks it is
    connected to. Two nodes on a common network talk; reachability is
    transitive (the cluster routes heartbeats through other nodes). Returns
    a list of frozensets, largest first, then by first node name.
    """
    remaining = set(links)
    parts = []
    while remaining:
        start = min(remaining)
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for other in list(remaining - seen):
                if links[node] & links[other]:
                    seen.add(other)
                    todo.append(other)
        remaining -= seen
        parts.append(frozenset(seen))
    return sorted(parts, key=lambda p: (-len(p), min(p)))


@dataclass(frozen=True)
class Witness:
    """The quorum witness as the partitions see it."""

    mode: str = quorum.NODE_MAJORITY
    #: Disk witness: nodes with a working storage path to the witness disk, and its owner.
    reachable_from: frozenset = frozenset()
    owner: str = ""
    online: bool = True

    @property
    def present(self):
        return self.mode != quorum.NODE_MAJORITY and self.online


def witness_partition(parts, witness):
    """The partition that gets the witness's vote (or None)."""
    if not witness.present or not parts:
        return None
    if witness.mode in (quorum.NODE_AND_DISK, quorum.DISK_ONLY):
        for part in parts:
            if witness.owner in part and witness.owner in witness.reachable_from:
                return part
        for part in sorted(parts, key=min):
            if part & witness.reachable_from:
                return part
        return None
    return parts[0]  # file share / cloud: the larger partition, then the first by name


def surviving_partition(parts, votes, total_votes, witness=Witness()):
    """The one partition that keeps quorum, or None when none does.

    `votes`: node -> vote it holds now; `total_votes`: the total the
    cluster counts (with the witness's vote where it has one). Disk Only:
    the partition holding the disk runs, whatever its size.
    """
    holder = witness_partition(parts, witness)
    if witness.mode == quorum.DISK_ONLY:
        return holder
    for part in parts:
        present = sum(votes.get(n, 0) for n in part) + (1 if part == holder else 0)
        if quorum.has_quorum(present, total_votes):
            return part
    return None


def resilient(version_order, transient):
    """Does a node that stops answering go Isolated first (2016+, transient faults only)?"""
    return transient and version_order >= RESILIENCY_VERSION_ORDER


def quarantines(isolations_in_window, threshold=QUARANTINE_THRESHOLD):
    """This isolation (counted in `isolations_in_window`) puts the node in quarantine."""
    return threshold > 0 and isolations_in_window >= threshold
