"""What Hyper-V Manager's Move refuses for a virtual machine in no cluster, in the product's words.

A move between two standalone hosts (Windows Server 2012 and later) is a shared-nothing live migration
when the VM runs (its storage copied, then its memory: fcm.sim.migration.plan_shared_nothing_migration),
or a move of its files and configuration when it is off or saved. Facts (Microsoft Learn: "Set up hosts
for live migration without Failover Clustering", "Use live migration without Failover Clustering to move
a virtual machine", "Troubleshoot live migration issues"):

- both hosts must have live migrations enabled; a destination that has not refuses the connection
  (0x8007274D);
- CredSSP works only when the move is started on the source host (Hyper-V Manager connected to it, or
  signed in there); Kerberos needs constrained delegation on the source's computer account to the
  destination (cifs and Microsoft Virtual System Migration Service), else 0x8009030D;
- the destination must accept the migration on a network both hosts are on (any network, or one of
  the subnets it lists);
- every virtual switch the VM uses must exist on the destination by name (Compare-VM message 33012);
- processors of another manufacturer cannot take a running VM, whatever its compatibility setting;
- a VM never moves to an older version of Hyper-V.
"""
import ipaddress
from dataclasses import dataclass, field

#: Shared-nothing and standalone live migration came with Windows Server 2012 (version order 3).
MOVE_VERSION_ORDER = 3


@dataclass(frozen=True)
class Host:
    name: str
    version_order: int
    version_label: str
    on: bool = True
    hyperv: bool = True
    clustered: bool = False
    migrations_enabled: bool = False
    authentication: str = "CredSSP"
    #: Computers this host's account may delegate to (constrained delegation).
    delegates_to: frozenset = frozenset()
    use_any_network: bool = True
    #: Incoming subnets, in order, when not any network.
    subnets: tuple = ()
    #: {network name: (subnet, link Mbit/s)} of its connected adapters' networks.
    networks: dict = field(default_factory=dict)
    switches: frozenset = frozenset()
    processor_vendor: str = "GenuineIntel"
    free_memory_mb: int = 0


@dataclass(frozen=True)
class Problem:
    message: str
    #: The wizard page the user fixes it on ("destination", "location"), or "" (a host's settings).
    page: str = ""


def _incoming(target, subnet):
    if target.use_any_network:
        return True
    net = ipaddress.IPv4Network(subnet, strict=False)
    return any(net.subnet_of(ipaddress.IPv4Network(s, strict=False)) or
               ipaddress.IPv4Network(s, strict=False).subnet_of(net) for s in target.subnets)


def migration_network(source, target):
    """(network name, Mbit/s) the move uses: the fastest network both hosts are on that the destination
    accepts incoming live migrations on (its listed order first when it lists them); None when none."""
    common = [(name, source.networks[name]) for name in source.networks if name in target.networks]
    usable = [(name, subnet, min(mbps, target.networks[name][1])) for name, (subnet, mbps) in common
              if _incoming(target, subnet)]
    if not usable:
        return None
    if not target.use_any_network:
        def rank(item):
            net = ipaddress.IPv4Network(item[1], strict=False)
            return next((i for i, s in enumerate(target.subnets)
                         if net.subnet_of(ipaddress.IPv4Network(s, strict=False))
                         or ipaddress.IPv4Network(s, strict=False).subnet_of(net)), len(target.subnets))
        usable.sort(key=lambda u: (rank(u), -u[2], u[0]))
    else:
        usable.sort(key=lambda u: (-u[2], u[0]))
    name, _, mbps = usable[0]
    return name, mbps


def move_problem(vm_name, running, memory_mb, switches, source, target, started_on_source=True):
    """The first reason the move of `vm_name` from `source` to `target` cannot start, or None.

    `switches`: the virtual switches its network adapters use; `started_on_source`: Hyper-V Manager is
    connected to the source host (what CredSSP needs)."""
    if target.name.lower() == source.name.lower():
        return Problem(f"{vm_name} is already on {source.name}: choose another destination computer.", "destination")
    for host in (source, target):
        if not host.on:
            return Problem(f"{host.name} is turned off or cannot be reached: the move needs both servers running.",
                           "destination" if host is target else "")
        if not host.hyperv:
            return Problem(f"{host.name} does not have the Hyper-V role.", "destination" if host is target else "")
        if host.version_order < MOVE_VERSION_ORDER:
            return Problem(f"{host.name} runs {host.version_label}: moving a virtual machine between servers in no "
                           "cluster needs Windows Server 2012 or later on both.", "destination")
    if target.version_order < source.version_order:
        return Problem(f"The virtual machine cannot be moved to {target.name}: it runs an older version of Hyper-V "
                       f"({target.version_label}) than {source.name} ({source.version_label}).", "destination")
    if not source.migrations_enabled:
        return Problem(f"Live migrations are not enabled on {source.name}: enable incoming and outgoing live "
                       f"migrations in its Hyper-V Settings (Live Migrations).")
    if not target.migrations_enabled:
        return Problem(f'The Virtual Machine Management Service failed to establish a connection for a Virtual '
                       f'Machine migration with host "{target.name}": No connection could be made because the '
                       f'target machine actively refused it. (0x8007274D)', "destination")
    if source.authentication == "CredSSP" and not started_on_source:
        return Problem(f'Failed to establish a connection with host "{target.name}": No credentials are available in '
                       f'the security package (0x8009030E). CredSSP needs the move to be started on {source.name}.')
    if source.authentication == "Kerberos" and target.name.lower() not in {d.lower() for d in source.delegates_to}:
        return Problem(f'Failed to establish a connection with host "{target.name}": The credentials supplied to the '
                       f'package were not recognized (0x8009030D). The source host is configured to use Kerberos: '
                       f'constrained delegation must be enabled for {source.name} to {target.name} (cifs and '
                       f'Microsoft Virtual System Migration Service) in Active Directory.')
    if migration_network(source, target) is None:
        return Problem(f"{source.name} and {target.name} share no network that {target.name} accepts live "
                       f"migrations on (Hyper-V Settings > Live Migrations > Incoming live migrations).", "destination")
    missing = sorted(s for s in switches if s and s not in target.switches)
    if missing:
        return Problem(f"The following configuration errors were found for virtual machine '{vm_name}': Could not "
                       f"find Ethernet switch '{missing[0]}' on {target.name}.", "destination")
    if running and source.processor_vendor != target.processor_vendor:
        return Problem("The virtual machine cannot be moved to the destination computer. The hardware on the "
                       "destination computer is not compatible with the hardware requirements of this virtual "
                       "machine.", "destination")
    if running and memory_mb > target.free_memory_mb:
        return Problem(f"{target.name} does not have enough memory for {vm_name}: it needs {memory_mb} MB and "
                       f"{target.free_memory_mb} MB are free.", "destination")
    return None
