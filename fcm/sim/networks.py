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
