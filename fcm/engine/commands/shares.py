"""A file share's permissions (Server Manager > File and Storage Services > Shares > Properties >
Permissions): which computer accounts have Full Control of the share and of its folder. Hyper-V hosts that
keep VM files on the share need it (fcm.sim.smb)."""
from django.db import transaction

from fcm.inventory.models import FileShare, Node

from ..errors import ServerError
from ..outbox import mark_nodes
from .servers import locked_node, require_on


def accounts(share):
    """The computer accounts the share's permissions can name: the lab's servers in the file server's domain
    (a workgroup server has no account in the domain), the file server itself left out."""
    server = share.server
    if not server.domain_id:
        return Node.objects.none()
    return Node.objects.filter(lab_id=share.lab_id, domain_id=server.domain_id).exclude(pk=server.pk) \
        .select_related("domain").order_by("name")


def set_full_access(user, share, hosts):
    """Give exactly `hosts` (servers of the lab) Full Control of `share` and its folder; the rest lose it."""
    with transaction.atomic():
        share = FileShare.objects.select_for_update().select_related("server").get(pk=share.pk)
        server = locked_node(share.server)
        require_on(server, "its shares' permissions can be changed")
        allowed = {n.pk: n for n in accounts(share)}
        unknown = [h for h in hosts if h.pk not in allowed]
        if unknown:
            raise ServerError(f"{unknown[0].name} has no computer account in {server.domain.name}: it cannot be "
                              "given access.", "full_access")
        share.full_access.set([allowed[h.pk] for h in hosts])
        mark_nodes(share.lab_id, server)
    return share
