"""Hyper-V over SMB: virtual machines' files on SMB 3.0 file shares (Windows Server 2012 and later).

Hyper-V opens a VM's files on `\\\\server\\share\\...` with the host's computer account (DOMAIN\\HOST$), so
the file server must be reachable from the host, must speak SMB 3.0 (Windows Server 2012 or later: a 2008 R2
share speaks SMB 2.1, which Hyper-V refuses for VM files), and the host's account needs Full Control on the
share and its folder. Reading and writing the files runs at the slower of the file server's volume and the
network between the two (SMB Multichannel uses the link nearly at line rate).

Plain values in, a sentence out: the engine builds the facts from the inventory.
"""
from dataclasses import dataclass, field

from .migration import SMB_EFFICIENCY, line_rate_mib_s

#: SMB 3.0 came with Windows Server 2012 (version order 3).
SMB3_VERSION_ORDER = 3


@dataclass(frozen=True)
class Share:
    unc: str
    server: str
    server_version_order: int
    server_version_label: str
    server_on: bool = True
    #: Host names (any case) whose computer accounts have Full Control.
    full_access: frozenset = frozenset()
    #: The file server's {network name: (subnet, link Mbit/s)}.
    networks: dict = field(default_factory=dict)
    throughput_mib_s: float = 400.0
    free_bytes: int = 0


def parse_unc(path):
    """(server, share, the rest of the path) of `\\\\server\\share\\rest`, or None for a local or LUN path."""
    path = (path or "").strip()
    if not path.startswith("\\\\"):
        return None
    parts = path[2:].split("\\", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1], parts[2].rstrip("\\") if len(parts) > 2 else ""


def link_mib_s(host_networks, server_networks):
    """The best link a host has to the file server (MiB/s over SMB), or 0 when they share no network."""
    shared = [min(mbps, server_networks[name][1]) for name, (_, mbps) in host_networks.items()
              if name in server_networks]
    return line_rate_mib_s(max(shared)) * SMB_EFFICIENCY if shared else 0.0


def storage_rate_mib_s(share, host_networks):
    """What a host reads or writes the share's files at: its volume, or the network to it if slower."""
    return min(share.throughput_mib_s, link_mib_s(host_networks, share.networks))


def access_problem(share, host, host_networks, domain="CONTOSO"):
    """Why Hyper-V on `host` cannot keep VM files on `share` (a sentence), or None."""
    if not share.server_on:
        return f"The network path was not found: {share.unc} cannot be reached while {share.server} is off."
    if share.server_version_order < SMB3_VERSION_ORDER:
        return (f"{share.unc} is on {share.server}, which runs {share.server_version_label}: its shares speak SMB "
                "2.1, and Hyper-V keeps virtual machine files only on SMB 3.0 shares (Windows Server 2012 or later).")
    if not link_mib_s(host_networks, share.networks):
        return f"The network path was not found: {host} has no network to {share.server}."
    if host.lower() not in {name.lower() for name in share.full_access}:
        return (f"Hyper-V on {host} does not have permission to access {share.unc}: General access denied error "
                f"(0x80070005). Give {domain}\\{host}$ Full Control of the share and of its folder.")
    return None
