"""Hyper-V Manager's Virtual Switch Manager (Virtual Network Manager before 2012): a host's virtual switches,
created (External on one of its adapters, Internal, Private) and removed. A VM names its switch, so a
switch another host lacks is the Move Wizard's "Could not find Ethernet switch" until it is created there."""
from django.db import IntegrityError, transaction

from fcm.inventory.models import NetworkAdapter, VirtualMachine, VirtualSwitch

from ..errors import ServerError
from ..outbox import mark_nodes, mark_vm
from .servers import locked_node, require_on

Kind = VirtualSwitch.Kind


def create_switch(user, node, name, kind, adapter=None):
    """A new virtual switch `name` on `node`; an External one is bound to `adapter`, one of the node's."""
    name = (name or "").strip()
    if not name:
        raise ServerError("Type a name for the virtual switch.", "name")
    if kind not in Kind.values:
        raise ServerError("Choose what the virtual switch connects to.", "kind")
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "its virtual switches can be changed")
        if VirtualSwitch.objects.filter(node=node, name__iexact=name).exists():
            raise ServerError(f"A virtual switch named '{name}' already exists on {node.name}.", "name")
        if kind == Kind.EXTERNAL:
            if adapter is None or not NetworkAdapter.objects.filter(pk=adapter.pk, node=node).exists():
                raise ServerError(f"Choose the network adapter of {node.name} the external switch uses.", "adapter")
            bound = VirtualSwitch.objects.filter(adapter=adapter, kind=Kind.EXTERNAL).first()
            if bound is not None:
                raise ServerError(f"The network adapter '{adapter.name}' is already bound to the virtual switch "
                                  f"'{bound.name}'.", "adapter")
        try:
            switch = VirtualSwitch.objects.create(node=node, name=name, kind=kind,
                                                  adapter=adapter if kind == Kind.EXTERNAL else None)
        except IntegrityError:
            raise ServerError(f"A virtual switch named '{name}' already exists on {node.name}.", "name") from None
        mark_nodes(node.lab_id, node)
    return switch


def remove_switch(user, node, switch):
    """Remove a virtual switch; the host's VMs connected to it are left Not connected."""
    with transaction.atomic():
        node = locked_node(node)
        require_on(node, "its virtual switches can be changed")
        switch = VirtualSwitch.objects.filter(pk=switch.pk, node=node).first()
        if switch is None:
            raise ServerError("That virtual switch no longer exists.")
        for vm in VirtualMachine.objects.filter(host_node=node, virtual_switch=switch.name):
            vm.virtual_switch = ""
            vm.save(update_fields=["virtual_switch"])
            mark_vm(vm)
        switch.delete()
        mark_nodes(node.lab_id, node)
