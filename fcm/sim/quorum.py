"""Quorum: votes, whether a partition keeps running, what a cluster survives.

The rules (fcm.md section 4): a partition runs while it holds more than
half of the votes. 2008/2008 R2 count every configured vote (static).
2012 adds dynamic quorum: after each orderly membership change the total
is recomputed over the survivors, so nodes failing one at a time can take
the cluster down to the last node. 2012 R2 adds dynamic witness: the
witness votes only when the node votes are even, and with an even count
and no witness one node's vote is removed so the total is odd.
Disk Only: the partition that owns the witness disk runs.
"""
from dataclasses import dataclass

NODE_MAJORITY = "NodeMajority"
NODE_AND_DISK = "NodeAndDiskMajority"
NODE_AND_FILE_SHARE = "NodeAndFileShareMajority"
DISK_ONLY = "DiskOnly"
NODE_AND_CLOUD = "NodeAndCloudMajority"
WITNESS_MODES = (NODE_AND_DISK, NODE_AND_FILE_SHARE, NODE_AND_CLOUD)

#: The size Microsoft documents for a disk witness (it holds a copy of the cluster database).
#: Create Cluster's automatic choice takes the smallest disk of at least this size; the quorum
#: wizard still offers a smaller disk (the 2008 R2 walkthrough puts its witness on a 500 MB
#: LUN), with a warning: the size is a recommendation the product does not enforce.
MIN_WITNESS_BYTES = 512 * 1024 * 1024


def witness_size_warning(name, size_bytes):
    """The warning a disk witness smaller than the documented size earns, or ''."""
    if size_bytes >= MIN_WITNESS_BYTES:
        return ""
    return (f"{name} is smaller than 512 MB, the size recommended for a disk witness: the cluster database "
            "may outgrow it.")


def modes_for(version_order):
    """Quorum configurations the version's wizard offers."""
    modes = [NODE_MAJORITY, NODE_AND_DISK, NODE_AND_FILE_SHARE, DISK_ONLY]
    if version_order >= 5:
        modes.insert(3, NODE_AND_CLOUD)
    return modes


def has_quorum(votes_present, total_votes):
    return total_votes > 0 and 2 * votes_present > total_votes


@dataclass(frozen=True)
class Votes:
    #: Votes each node holds now (DynamicWeight), by node name.
    node_votes: dict
    witness_vote: int

    @property
    def total(self):
        return sum(self.node_votes.values()) + self.witness_vote


def current_votes(assigned, mode, dynamic_quorum=False, dynamic_witness=False):
    """Votes in force for nodes that are up: `assigned` maps node -> NodeWeight (0/1).

    With dynamic witness and an even number of voting nodes the witness
    votes; with an odd number it does not. Without a witness, dynamic quorum
    zeroes the last node's vote when the count is even, keeping the total odd.
    """
    node_votes = dict(assigned)
    voters = sum(node_votes.values())
    has_witness = mode in WITNESS_MODES or mode == DISK_ONLY
    if mode == DISK_ONLY:
        return Votes({n: 0 for n in node_votes}, 1)
    witness = 1 if has_witness else 0
    if dynamic_witness and has_witness:
        witness = 1 if voters % 2 == 0 else 0
    if dynamic_quorum and not has_witness and voters and voters % 2 == 0:
        last = sorted(n for n, v in node_votes.items() if v)[-1]
        node_votes[last] = 0
    return Votes(node_votes, witness)


@dataclass(frozen=True)
class Survival:
    #: Node failures at the same moment the cluster always survives (worst case).
    simultaneous: int
    #: Failures one after another (each after the cluster has adjusted).
    sequential: int

    def sentence(self):
        def nodes(n):
            return f"{n} node" if n == 1 else f"{n} nodes"
        if self.simultaneous == 0 and self.sequential == 0:
            return "The cluster cannot survive the failure of any node."
        if self.simultaneous == 0:
            return ("An unexpected failure of a voting node can stop the cluster, but it survives "
                    f"{nodes(self.sequential)} failing one after another.")
        text = f"The cluster survives the failure of {nodes(self.simultaneous)} at the same time"
        if self.sequential > self.simultaneous:
            text += f", and of {nodes(self.sequential)} failing one after another"
        return text + "."


def survivable_failures(node_count, mode=NODE_MAJORITY, dynamic_quorum=False, dynamic_witness=False):
    """How many node failures a cluster of `node_count` voting nodes survives."""
    if node_count <= 0:
        return Survival(0, 0)
    if mode == DISK_ONLY:
        # The owner of the disk runs alone: every other node may fail.
        return Survival(node_count - 1, node_count - 1)
    names = [f"n{i:03d}" for i in range(node_count)]
    votes = current_votes({n: 1 for n in names}, mode, dynamic_quorum, dynamic_witness)
    total = votes.total
    # Worst case: the failing nodes are the voting ones.
    voting = sorted(votes.node_votes.values(), reverse=True)
    simultaneous = 0
    for f in range(1, node_count):
        lost = sum(voting[:f])
        if has_quorum(total - lost, total):
            simultaneous = f
        else:
            break
    sequential = simultaneous
    if dynamic_quorum:
        # One at a time, the cluster recomputes: it runs down to the last node.
        sequential = node_count - 1
    return Survival(simultaneous, sequential)


def automatic_configuration(node_count, eligible_disks, version_order):
    """The quorum the Create Cluster wizard chooses, and its witness disk.

    `eligible_disks`: (name, size_bytes) of disks every node sees. 2008 to
    2012: Node Majority for an odd node count; Node and Disk Majority with
    the smallest eligible disk (at least 512 MB) for an even count; else Node
    Majority. 2012 R2 and later always take a disk witness when one is
    suitable (dynamic witness decides whether it votes).
    """
    witnesses = sorted((size, name) for name, size in eligible_disks if size >= MIN_WITNESS_BYTES)
    wants_witness = version_order >= 4 or node_count % 2 == 0
    if wants_witness and witnesses:
        return NODE_AND_DISK, witnesses[0][1]
    return NODE_MAJORITY, None


def recommended(node_count, version_order, has_eligible_disk):
    """The mode the quorum wizard tags '(recommended for your current number of nodes)'."""
    return automatic_configuration(node_count, [("d", MIN_WITNESS_BYTES)] if has_eligible_disk else [],
                                   version_order)[0]
