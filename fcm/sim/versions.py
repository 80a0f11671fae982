"""Windows Server versions and the defaults that differ between them.

Figures come from the product's documentation as collected in the project's
reference notes (fcm.md sections 1, 6, 8 and 14; numbers.md): heartbeat
delays and thresholds, simultaneous live migrations, scale limits and the
console's own wording ("Services and Applications" before 2012, "Roles"
after).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class OsVersion:
    code: str
    label: str
    order: int
    #: Name of the tree item that lists clustered roles.
    roles_label: str
    #: Hyper-V live migration exists (2008 R2 onwards); 2008 only quick-migrates.
    live_migration: bool
    #: Default simultaneous live migrations per host (2008 R2: one at a time).
    simultaneous_live_migrations: int
    same_subnet_delay_ms: int
    same_subnet_threshold: int
    cross_subnet_delay_ms: int
    cross_subnet_threshold: int
    #: Thresholds once Hyper-V VMs are clustered (2012 R2 raised them).
    same_subnet_threshold_hyperv: int
    cross_subnet_threshold_hyperv: int
    max_nodes: int
    max_vms_per_cluster: int
    max_vms_per_node: int
    #: Current Vote column and dynamic quorum (2012 onwards).
    dynamic_quorum: bool
    #: Cluster Shared Volumes must be enabled by hand (2008 R2 only).
    csv_needs_enabling: bool
    #: CSV available at all (2008 R2 onwards).
    csv: bool

    @property
    def console_name(self):
        """The snap-in's own name: 2008 shipped "Failover Cluster Management", 2008 R2 renamed it."""
        return "Failover Cluster Management" if self.order == 1 else "Failover Cluster Manager"

    @property
    def vm_configuration_version(self):
        """The configuration version of a virtual machine this version's Hyper-V creates (Get-VM's Version;
        Hyper-V Manager shows the column from 2016)."""
        return {1: "1.0", 2: "3.0", 3: "4.0", 4: "5.0", 5: "8.0", 6: "9.0", 7: "10.0"}[self.order]

    @property
    def shows_configuration_version(self):
        """Hyper-V Manager's Virtual Machines list has a Configuration Version column (2016 onwards)."""
        return self.order >= 5

    @property
    def cluster_powershell(self):
        """The FailoverClusters PowerShell module exists (2008 R2 onwards); 2008 has cluster.exe only."""
        return self.order >= 2


_VERSIONS = (
    OsVersion("2008", "Windows Server 2008", 1, "Services and Applications", False, 0,
              1000, 5, 1000, 5, 5, 5, 16, 1024, 64, False, False, False),
    OsVersion("2008R2", "Windows Server 2008 R2", 2, "Services and Applications", True, 1,
              1000, 5, 1000, 5, 5, 5, 16, 1000, 384, False, True, True),
    OsVersion("2012", "Windows Server 2012", 3, "Roles", True, 2,
              1000, 5, 1000, 5, 5, 5, 64, 4000, 1024, True, False, True),
    OsVersion("2012R2", "Windows Server 2012 R2", 4, "Roles", True, 2,
              1000, 5, 1000, 5, 10, 20, 64, 4000, 1024, True, False, True),
    OsVersion("2016", "Windows Server 2016", 5, "Roles", True, 2,
              1000, 10, 1000, 20, 10, 20, 64, 8000, 1024, True, False, True),
    OsVersion("2019", "Windows Server 2019", 6, "Roles", True, 2,
              1000, 10, 1000, 20, 10, 20, 64, 8000, 1024, True, False, True),
    OsVersion("2022", "Windows Server 2022", 7, "Roles", True, 2,
              1000, 10, 1000, 20, 10, 20, 64, 8000, 1024, True, False, True),
)

VERSIONS = {v.code: v for v in _VERSIONS}
CHOICES = [(v.code, v.label) for v in _VERSIONS]


def get(code):
    """The version for a code such as "2008R2"; KeyError names the valid ones."""
    try:
        return VERSIONS[code]
    except KeyError:
        raise KeyError(
            f"unknown Windows Server version {code!r}; expected one of {', '.join(VERSIONS)}"
        ) from None


@dataclass(frozen=True)
class HeartbeatSettings:
    same_subnet_delay_ms: int
    same_subnet_threshold: int
    cross_subnet_delay_ms: int
    cross_subnet_threshold: int


def heartbeat_defaults(code, hyperv_vms_clustered=False):
    """Default heartbeat settings a new cluster of this version gets.

    2012 R2 raised the thresholds (5 -> 10 same subnet, 5 -> 20 cross subnet)
    once Hyper-V virtual machines are clustered; 2016 made the raised values
    the default.
    """
    v = get(code)
    if hyperv_vms_clustered:
        return HeartbeatSettings(v.same_subnet_delay_ms, v.same_subnet_threshold_hyperv,
                                 v.cross_subnet_delay_ms, v.cross_subnet_threshold_hyperv)
    return HeartbeatSettings(v.same_subnet_delay_ms, v.same_subnet_threshold,
                             v.cross_subnet_delay_ms, v.cross_subnet_threshold)
