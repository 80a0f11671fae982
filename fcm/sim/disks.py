"""Everyday administration of cluster disks: which LUNs can be added, where a group of disks may move and
how long the move takes, which drive letters are free.

- **Add Disk** (`Get-ClusterAvailableDisk | Add-ClusterDisk`): a LUN can become a cluster disk when every
  node of the cluster sees it and it supports SCSI-3 persistent reservations (the cluster arbitrates for
  a disk by reserving it), and no cluster uses it yet. It joins Available Storage as "Cluster Disk N"
  (fcm.md section 9).
- **Move Available Storage** (`Move-ClusterGroup "Available Storage"`): the group's disks go offline on
  their owner (dismount, release the reservation), the target arbitrates for each reservation and mounts
  the volumes, then they come online there. Disk resources of one group have no dependencies on each
  other, so the Cluster service takes them offline and brings them online together: the move lasts one
  offline, one reservation move and one online whatever the number of disks. The figures are the
  migration model's (fcm.sim.migration: the disk move a quick migration makes). A group comes back in
  the state it had: a disk taken offline moves offline (the MoveClusterGroup contract).
- **Move** of a Cluster Shared Volume (`Move-ClusterSharedVolume`): the coordinator changes; the volume
  stays mounted on every node and I/O pauses while the reservation moves.
- **Change Drive Letter** (a disk's More Actions; 2008 / 2008 R2: Change drive letter): a letter in use on any
  node is refused (C: and D: are every server's own disks).

Plain values in, plain values out: the engine gathers the lab's facts and applies what is decided.
"""
import string
from dataclasses import dataclass

from .migration import DEFAULT_DISK_MOVE_S, DEFAULT_GROUP_OFFLINE_S, DEFAULT_GROUP_ONLINE_S, Phase

#: Every server's own disks: the system drive and the second local disk (fcm.engine.effects.vms reads them so).
LOCAL_DRIVE_LETTERS = ("C", "D")
#: A to Z.
DRIVE_LETTERS = tuple(string.ascii_uppercase)

UP, PAUSED = "Up", "Paused"


# -- Add Disk ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LunFacts:
    """A LUN of the lab as the Add Disk dialog weighs it."""

    name: str
    #: Cluster nodes with a working path to it.
    seen_by: frozenset
    persistent_reservations: bool = True
    #: The cluster that already uses it ("" when none).
    used_by: str = ""


def add_disk_problem(lun, cluster_nodes):
    """Why `lun` (LunFacts) cannot be added to a cluster of `cluster_nodes` (names), or ''."""
    if lun.used_by:
        return f"The disk '{lun.name}' is already a disk of the cluster {lun.used_by}."
    missing = sorted(set(cluster_nodes) - set(lun.seen_by))
    if missing:
        return (f"The disk '{lun.name}' is not visible to every node of the cluster: {', '.join(missing)} "
                f"cannot see it. A cluster disk must be reachable from all nodes.")
    if not lun.persistent_reservations:
        return (f"The disk '{lun.name}' does not support SCSI-3 persistent reservations, which failover "
                "clustering needs to arbitrate for a disk.")
    return ""


def next_disk_names(existing, count):
    """The names `count` new cluster disks get: "Cluster Disk N" from the number after the disks the cluster
    has, skipping names in use."""
    taken = {name.lower() for name in existing}
    names, n = [], len(existing)
    while len(names) < count:
        n += 1
        name = f"Cluster Disk {n}"
        if name.lower() not in taken:
            names.append(name)
    return names


# -- moving disks between nodes --------------------------------------------------------------------

@dataclass(frozen=True)
class NodeReach:
    """A node as a disk move weighs it: its state and the LUNs it has a working path to."""

    name: str
    state: str
    luns: frozenset = frozenset()


def disk_move_ineligibility(node, luns):
    """Why the disks `luns` (names) cannot move to `node` (NodeReach), or ''."""
    if node.state == PAUSED:
        return f"{node.name} is paused: a paused node takes no clustered roles or storage."
    if node.state != UP:
        return f"{node.name} is {node.state.lower() or 'not a running member'}."
    missing = sorted(set(luns) - set(node.luns))
    if missing:
        return f"{node.name} has no working path to {', '.join(missing)}."
    return ""


def best_node_for_disks(nodes, luns, current):
    """The node the disks go to on Best Possible Node: the first eligible node by name other than
    `current`; None when there is none."""
    for node in sorted(nodes, key=lambda n: n.name.lower()):
        if node.name != current and not disk_move_ineligibility(node, luns):
            return node.name
    return None


@dataclass(frozen=True)
class DiskMovePlan:
    phases: tuple
    total_s: float

    @property
    def summary(self):
        return f"about {self.total_s:.0f} s"


def plan_group_move(disk_count, offline_s=DEFAULT_GROUP_OFFLINE_S, disk_move_s=DEFAULT_DISK_MOVE_S,
                    online_s=DEFAULT_GROUP_ONLINE_S):
    """Move Available Storage: offline on the owner, the reservations move, online on the target."""
    if disk_count < 1:
        raise ValueError("a group move needs at least one disk")
    what = "1 disk" if disk_count == 1 else f"{disk_count} disks"
    phases, t = [], 0.0
    for key, name, seconds, state, detail in (
            ("take-offline", "Take offline", offline_s, "Offline Pending", f"{what} dismounted on the owner"),
            ("move-disk", "Move disk ownership", disk_move_s, "Offline",
             "The target arbitrates for each reservation and mounts the volumes"),
            ("bring-online", "Bring online", online_s, "Online Pending", f"{what} online on the target")):
        phases.append(Phase(name, t, t + seconds, state, detail, key))
        t += seconds
    return DiskMovePlan(tuple(phases), t)


def plan_csv_move(disk_move_s=DEFAULT_DISK_MOVE_S):
    """Move a Cluster Shared Volume: the coordinator changes while I/O pauses; the volume stays mounted."""
    return DiskMovePlan((Phase("Move disk ownership", 0.0, disk_move_s, "Online Pending",
                               "I/O pauses while the coordinator's reservation moves", "move-disk"),), disk_move_s)


# -- drive letters -----------------------------------------------------------------------------------

def drive_letter_problem(letter, current, in_use):
    """Why `letter` cannot be given to a disk whose letter is `current`, or ''.

    `in_use`: {node name: {letter: what uses it}} for every node of the cluster (its own disks and the
    LUNs it sees, the disk being changed left out)."""
    letter = (letter or "").strip().rstrip(":").upper()
    if len(letter) != 1 or letter not in DRIVE_LETTERS:
        return "Type a drive letter from A to Z."
    if letter == (current or "").upper():
        return f"The disk already has the drive letter {letter}:."
    for node in sorted(in_use):
        what = in_use[node].get(letter)
        if what:
            return f"The drive letter {letter}: is in use on {node} ({what}). Choose another letter."
    return ""


def free_drive_letters(in_use):
    """Letters no node uses, A to Z."""
    used = {letter for letters in in_use.values() for letter in letters}
    return [letter for letter in DRIVE_LETTERS if letter not in used]
