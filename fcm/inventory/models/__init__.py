"""The simulated datacenter, as the real world has it.

Split by subject; everything is re-exported here so that code imports
`from fcm.inventory.models import Node` whatever file it lives in.
"""
from .labs import Lab, LoginToken
from .servers import Domain, Network, Node, NetworkAdapter, MigrationNetwork, VirtualSwitch, Disk, DiskPath
from .clusters import Cluster, ClusterAddress, ClusterNetwork, ClusterDisk
from .roles import Role, PreferredOwner, Resource
from .vms import VirtualMachine, VirtualHardDisk, Checkpoint, CheckpointFile
from .events import ClusterEvent
from .shares import FileShare
from .replication import WanLink, ReplicaServer, ReplicaAuthorization, Replication, RecoveryPoint

__all__ = [
    "Lab", "LoginToken", "Domain", "Network", "Node", "NetworkAdapter", "MigrationNetwork", "VirtualSwitch",
    "Disk", "DiskPath", "Cluster", "ClusterAddress", "ClusterNetwork", "ClusterDisk",
    "Role", "PreferredOwner", "Resource", "VirtualMachine", "VirtualHardDisk", "Checkpoint", "CheckpointFile",
    "ClusterEvent", "FileShare",
    "WanLink", "ReplicaServer", "ReplicaAuthorization", "Replication", "RecoveryPoint",
]
