"""The Hyper-V Replica Broker of a cluster: its Client Access Point checks and the role it creates."""
import ipaddress

from django.core.exceptions import ValidationError
from django.db import transaction

from fcm.inventory.models import ClusterAddress, Node, ReplicaServer, Resource, Role
from fcm.inventory.models.servers import validate_ipv4, validate_netbios_name

from ..errors import ReplicationError


def broker_problems(cluster, name, ip):
    """Client Access Point checks for a new broker: the product's NetBIOS and address rules."""
    errors = {}
    try:
        validate_netbios_name(name)
    except ValidationError as exc:
        errors["name"] = " ".join(exc.messages)
    lab = cluster.lab
    if "name" not in errors and (Node.objects.filter(lab=lab, name__iexact=name).exists()
                                 or Role.objects.filter(cluster__lab=lab, name__iexact=name).exists()
                                 or ReplicaServer.objects.filter(lab=lab, name__iexact=name).exists()
                                 or type(cluster).objects.filter(lab=lab, name__iexact=name).exists()):
        errors["name"] = f"The name '{name}' is already in use on the network."
    try:
        validate_ipv4(ip)
    except ValidationError as exc:
        errors["ip"] = " ".join(exc.messages)
    if "ip" not in errors and (ClusterAddress.objects.filter(cluster__lab=lab, ip_address=ip).exists()
                               or ReplicaServer.objects.filter(lab=lab, ip_address=ip).exists()
                               or Node.objects.filter(lab=lab, adapters__ip_address=ip).exists()):
        errors["ip"] = f"The address {ip} is already in use."
    if "ip" not in errors and not any(_in_subnet(ip, cn.network.subnet) for cn in cluster.cluster_networks
                                      .select_related("network").filter(role=3)):
        errors["ip"] = f"{ip} is not on a network that clients can reach (a cluster network with client access)."
    return errors


def _in_subnet(ip, subnet):
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False


def create_broker(cluster, name, ip, owner=None):
    """Configure Role -> Hyper-V Replica Broker: a role with its access point and broker resource,
    and its (not yet enabled) Replication Settings."""
    errors = broker_problems(cluster, name, ip)
    if errors:
        raise ReplicationError(" ".join(errors.values()))
    if ReplicaServer.objects.filter(broker_role__cluster=cluster).exists():
        raise ReplicationError(f"{cluster.name} already has a Hyper-V Replica Broker.")
    owner = owner or Node.objects.filter(cluster=cluster, state=Node.State.UP).order_by("name").first()
    with transaction.atomic():
        role = Role.objects.create(cluster=cluster, name=name, type=Role.Type.REPLICA_BROKER,
                                   state=Role.State.ONLINE, owner_node=owner)
        net = Resource.objects.create(role=role, name=f"Name: {name}", type=Resource.Type.NETWORK_NAME,
                                      state=Resource.State.ONLINE)
        addr = Resource.objects.create(role=role, name=f"IP Address: {ip}", type=Resource.Type.IP_ADDRESS,
                                       state=Resource.State.ONLINE)
        broker = Resource.objects.create(role=role, name=name, type=Resource.Type.REPLICA_BROKER,
                                         state=Resource.State.ONLINE)
        net.depends_on.add(addr)
        broker.depends_on.add(net)
        server = ReplicaServer.objects.create(lab=cluster.lab, broker_role=role, name=name, ip_address=ip)
    return server
