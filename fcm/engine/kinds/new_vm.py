"""New Virtual Machine: the VM (Off, with its VHD) exists when the short step ends; a name taken meanwhile
is reported in op.result."""
from fcm.inventory.models import Node

from ..effects.vms import create_vm
from ..errors import VmError
from ..models import Operation
from ..registry import OperationKind, register


def complete_new_vm(op):


    node = Node.objects.get(pk=op.plan["params"]["node"])
    try:
        vm = create_vm(op.requested_by, node, op.plan["params"])
        op.result = {"vm": vm.pk, "name": vm.name}
    except VmError as exc:
        op.result = {"error": str(exc)}
    Operation.objects.filter(pk=op.pk).update(result=op.result)


@register
class NewVm(OperationKind):
    kind = Operation.Kind.NEW_VM

    def complete(self, op, sim_time):
        complete_new_vm(op)
