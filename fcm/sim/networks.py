"""How a cluster sees the lab's subnets (cluster networks).

The cluster makes one cluster network per subnet that its nodes' adapters
share and names them "Cluster Network 1", "Cluster Network 2", ... New
networks get the default role Cluster and Client (DefaultNetworkRole 3);
the product sets a network without a default gateway to Cluster Only, and
from 2012 an iSCSI network to None (fcm.md section 10).
"""
import ipaddress

ROLE_NONE = 0
ROLE_CLUSTER_ONLY = 1
ROLE_CLUSTER_AND_CLIENT = 3

ROLE_NAMES = {"None": ROLE_NONE, "Cluster Only": ROLE_CLUSTER_ONLY,
              "Cluster and Client": ROLE_CLUSTER_AND_CLIENT}


def default_role(has_gateway, is_storage, version_order):
    if is_storage and version_order >= 3:
        return ROLE_NONE
    return ROLE_CLUSTER_AND_CLIENT if has_gateway else ROLE_CLUSTER_ONLY


def shared_subnets(adapters_by_node):
    """Subnets every node has an address in, in ascending address order.

    `adapters_by_node` maps a node name to a list of "ip/prefix" strings.
    """
    if not adapters_by_node:
        return []
    seen = None
    for addresses in adapters_by_node.values():
        nets = {str(ipaddress.IPv4Interface(a).network) for a in addresses if a}
        seen = nets if seen is None else seen & nets
    return sorted(seen, key=lambda s: ipaddress.IPv4Network(s))


def in_subnet(ip, subnet):
    try:
        return ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(subnet)
    except ValueError:
        return False


# -- a cluster network's Properties ---------------------------------------------------------------

#: The Properties dialog's words for each role (fcm.md section 10): the radio buttons and the check box.
ALLOW_CLUSTER = "Allow cluster network communication on this network"
ALLOW_CLIENTS = "Allow clients to connect through this network"
DENY_CLUSTER = "Do not allow cluster network communication on this network"
ROLES = (ROLE_NONE, ROLE_CLUSTER_ONLY, ROLE_CLUSTER_AND_CLIENT)
#: How long a network's name may be (the longest the console stores).
MAX_NAME_LENGTH = 80


def role_for(allow_cluster, allow_clients):
    """The Role the dialog's choices give: 3 cluster and clients, 1 cluster only, 0 none."""
    if not allow_cluster:
        return ROLE_NONE
    return ROLE_CLUSTER_AND_CLIENT if allow_clients else ROLE_CLUSTER_ONLY


def network_name_problem(name, other_names):
    """Why a cluster network cannot be named `name` (others of the cluster: `other_names`), or ''."""
    name = (name or "").strip()
    if not name:
        return "Type a name for the network."
    if len(name) > MAX_NAME_LENGTH:
        return f"A network name can have at most {MAX_NAME_LENGTH} characters."
    if name.lower() in {n.lower() for n in other_names}:
        return f"The cluster already has a network named '{name}'. Type another name."
    return ""


def network_role_problem(network, role, roles, addresses):
    """Why network `network` cannot take `role`, or ''.

    `roles`: {network: role} of every network of the cluster as they are now; `addresses`: {network:
    [cluster IP addresses on it]}. At least one network must carry the nodes' heartbeats, and the
    cluster's IP address must stay on a network clients may use (its IP Address resource comes online only
    on such a network: event 1223)."""
    if role not in ROLES:
        return "Choose whether the cluster may use this network (Role 0, 1 or 3)."
    after = {**roles, network: role}
    if all(r == ROLE_NONE for r in after.values()):
        return ("At least one network must allow cluster network communication: without one the nodes could not "
                "send each other heartbeats.")
    if role != ROLE_CLUSTER_AND_CLIENT and addresses.get(network):
        others = [n for n, ips in addresses.items() if ips and n != network and after.get(n) == ROLE_CLUSTER_AND_CLIENT]
        if not others:
            return (f"The cluster's IP address {', '.join(addresses[network])} is on this network and no other "
                    "network carries one for clients: clients connect to the cluster through it, so it must "
                    "allow clients to connect.")
    return ""
