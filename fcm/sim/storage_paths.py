"""Who can use a shared disk when storage paths or the LUN itself fail.

A Cluster Shared Volume is mounted on every node. A node with a working
path does its I/O directly; a node that lost its path keeps running its
VMs through *redirected access* (block redirection over the network to the
coordinator node, event 5121); when no running node reaches the LUN any
more, or the LUN is gone, the volume is no longer accessible (5142) and
the VMs on it stop. The coordinator (the CSV's owner node) must have a
path: it moves to a node that has one (fcm.md section 9).

A plain cluster disk (a role's Physical Disk, the witness, Available
Storage) is used by its owner node alone (SCSI-3 reservation): when the
owner loses its path the disk resource fails there and the group moves to
a node that still sees the disk.
"""

DIRECT = "Direct"
REDIRECTED = "Redirected"
NO_ACCESS = "No access"


def csv_access(running_nodes, nodes_with_path, lun_online=True):
    """{node: Direct | Redirected | No access} for every running node."""
    served = lun_online and bool(set(running_nodes) & set(nodes_with_path))
    return {n: (DIRECT if lun_online and n in nodes_with_path else REDIRECTED if served else NO_ACCESS)
            for n in running_nodes}


def owner_for(current_owner, running_nodes, nodes_with_path, lun_online=True):
    """The node that should own (or coordinate) the disk: the current one while it can, else the
    first running node by name with a path; None when nobody can."""
    if not lun_online:
        return None
    if current_owner in running_nodes and current_owner in nodes_with_path:
        return current_owner
    able = sorted(set(running_nodes) & set(nodes_with_path))
    return able[0] if able else None


def volume_status(access):
    """The Status column of a CSV: 'Online', 'Online (Redirected Access)' or 'Failed'."""
    states = set(access.values())
    if not states or states == {NO_ACCESS}:
        return "Failed"
    if REDIRECTED in states:
        return "Online (Redirected Access)"
    return "Online"
