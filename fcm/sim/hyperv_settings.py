"""Hyper-V Settings of a host: Live Migrations, its Advanced Features, and Storage Migrations.

Facts (Microsoft Learn, "Set up hosts for live migration without Failover Clustering", and the Set-VMHost
reference of each version):

- the Live Migrations and Storage Migrations pages arrive with Windows Server 2012 (Hyper-V 3.0): live
  migration outside a cluster, shared-nothing and storage migration; a 2008 R2 host live-migrates only
  inside its cluster and has neither page;
- defaults: live migrations off until enabled (Enable-VMMigration), 2 simultaneous live migrations, 2
  simultaneous storage migrations, CredSSP authentication;
- the performance options (TCP/IP, Compression, SMB) come with 2012 R2, whose default is Compression
  (2012's Set-VMHost has no -VirtualMachineMigrationPerformanceOption: it sends memory over TCP/IP);
- incoming live migrations use any available network, or only the subnets listed (Set-VMMigrationNetwork),
  in their order.
"""
import ipaddress
from dataclasses import dataclass

from . import migration

#: The most subnets one host's list holds here (each is a row and a line of the dialog).
MAX_MIGRATION_NETWORKS = 32
#: Simultaneous live or storage migrations: what the dialog's boxes take.
MIN_AT_ONCE, MAX_AT_ONCE = 1, 64
#: PowerShell's spelling of each performance option (-VirtualMachineMigrationPerformanceOption).
POWERSHELL_PERFORMANCE = {migration.PERFORMANCE_TCPIP: "TCPIP", migration.PERFORMANCE_COMPRESSION: "Compression",
                          migration.PERFORMANCE_SMB: "SMB"}


def has_migration_settings(version_order):
    """Hyper-V Settings has Live Migrations and Storage Migrations (2012 onwards)."""
    return version_order >= 3


def performance_options(version_order):
    """The Advanced Features' performance options a host of this version offers (none before 2012 R2)."""
    if version_order >= 4:
        return (migration.PERFORMANCE_TCPIP, migration.PERFORMANCE_COMPRESSION, migration.PERFORMANCE_SMB)
    return ()


@dataclass(frozen=True)
class SettingsProblem:
    field: str
    message: str


def migration_networks(lines):
    """The subnets typed one per line, as IPv4 networks in order ("10.0.2.0/24"; an address alone is itself
    /32, as Set-VMMigrationNetwork takes it). Returns (subnets, None) or (None, SettingsProblem)."""
    subnets = []
    for n, line in enumerate((line.strip() for line in lines), start=1):
        if not line:
            continue
        try:
            network = ipaddress.IPv4Network(line if "/" in line else f"{line}/32", strict=False)
        except ValueError:
            return None, SettingsProblem("networks", f"Line {n}: '{line[:40]}' is not an IPv4 address or subnet, "
                                                     "such as 192.168.10.0/24.")
        if str(network) in subnets:
            return None, SettingsProblem("networks", f"Line {n}: {network} is already in the list.")
        subnets.append(str(network))
        if len(subnets) > MAX_MIGRATION_NETWORKS:
            return None, SettingsProblem("networks", f"At most {MAX_MIGRATION_NETWORKS} networks: use a wider "
                                                     "subnet, such as 192.168.0.0/16.")
    return subnets, None


def settings_problem(version_order, *, simultaneous, storage_simultaneous, performance, use_any, subnets):
    """What the OK of Hyper-V Settings refuses, naming the field; None when the settings may be saved."""
    if not has_migration_settings(version_order):
        return SettingsProblem("", "Live migration outside a cluster and storage migration come with Windows "
                                   "Server 2012: this server's Hyper-V Settings have no Live Migrations page.")
    for field, value, label in (("simultaneous", simultaneous, "Simultaneous live migrations"),
                                ("storage_simultaneous", storage_simultaneous, "Simultaneous storage migrations")):
        if not isinstance(value, int) or isinstance(value, bool) or not MIN_AT_ONCE <= value <= MAX_AT_ONCE:
            return SettingsProblem(field, f"{label} must be a number from {MIN_AT_ONCE} to {MAX_AT_ONCE}.")
    options = performance_options(version_order)
    if performance and performance not in (options or (migration.PERFORMANCE_TCPIP,)):
        return SettingsProblem("performance", "This version sends memory over TCP/IP: the Compression and SMB "
                                              "performance options come with Windows Server 2012 R2."
                               if not options else "Choose TCP/IP, Compression or SMB.")
    if not use_any and not subnets:
        return SettingsProblem("networks", "Add at least one IP address or subnet, or choose \"Use any available "
                                           "network for live migration\".")
    return None


def set_vmhost(name, *, simultaneous, storage_simultaneous, authentication, performance, use_any, version_order):
    """The Set-VMHost line of a host's migration settings (the performance option only where the version has it)."""
    option = (f" -VirtualMachineMigrationPerformanceOption {POWERSHELL_PERFORMANCE[performance]}"
              if performance and performance_options(version_order) else "")
    return (f"Set-VMHost -ComputerName {name} -MaximumVirtualMachineMigrations {simultaneous} "
            f"-MaximumStorageMigrations {storage_simultaneous} "
            f"-VirtualMachineMigrationAuthenticationType {authentication}{option} "
            f"-UseAnyNetworkForMigration ${'true' if use_any else 'false'}")


def powershell(name, *, enabled, subnets, **settings):
    """The commands that make a host's settings these (what the dialog shows under its fields)."""
    lines = [f"{'Enable' if enabled else 'Disable'}-VMMigration -ComputerName {name}", set_vmhost(name, **settings)]
    lines += [f"Add-VMMigrationNetwork -ComputerName {name} {subnet} -Priority {i}"
              for i, subnet in enumerate(subnets)] if not settings["use_any"] else []
    return "; ".join(lines)
