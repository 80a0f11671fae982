"""SMB 3.0 file shares as the lab has them, seen by fcm.sim.smb: finding the share a path names, whether a
host may keep VM files there, and what it reads and writes them at."""
from fcm.inventory.models import FileShare, NetworkAdapter, Node
from fcm.sim import smb

from ..errors import VmError


def node_networks(node):
    """{network name: (subnet, best link Mbit/s)} of a server's connected adapters."""
    networks = {}
    for name, subnet, mbps in NetworkAdapter.objects.filter(node=node, connected=True, network__isnull=False) \
            .order_by("network__name").values_list("network__name", "network__subnet", "speed_mbps"):
        best = networks.get(name)
        networks[name] = (subnet, max(mbps, best[1]) if best else mbps)
    return networks


def share_facts(share):
    server = share.server
    return smb.Share(unc=share.unc, server=server.name, server_version_order=server.version.order,
                     server_version_label=server.version.label, server_on=server.power_state == Node.PowerState.ON,
                     full_access=frozenset(share.full_access.values_list("name", flat=True)),
                     networks=node_networks(server), throughput_mib_s=share.throughput_mib_s,
                     free_bytes=share.free_bytes)


def find_share(lab_id, path):
    """The FileShare a UNC path is on, or VmError with Windows' words for a server or share not found."""
    parsed = smb.parse_unc(path)
    if parsed is None:
        raise VmError(r"Type a share path such as \\FS01\VMs\APP01.")
    server_name, share_name, _ = parsed
    server = Node.objects.filter(lab_id=lab_id, name__iexact=server_name.split(".")[0]).first()
    if server is None:
        raise VmError(f"The network path was not found: there is no server {server_name}.")
    share = FileShare.objects.filter(server=server, name__iexact=share_name).select_related("server").first()
    if share is None:
        raise VmError(f"The network name cannot be found: {server.name} has no share named {share_name}.")
    return share


def usable_share(node, path):
    """The share `path` is on, if Hyper-V on `node` may keep VM files there; else VmError saying why not."""
    share = find_share(node.lab_id, path)
    domain = node.domain.netbios_name if node.domain_id else node.name
    problem = smb.access_problem(share_facts(share), node.name, node_networks(node), domain)
    if problem:
        raise VmError(problem)
    return share


def storage_rate(share, node):
    """MiB/s `node` reads or writes the files on `share` at."""
    return smb.storage_rate_mib_s(share_facts(share), node_networks(node))
