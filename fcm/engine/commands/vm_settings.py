"""Hyper-V Manager > a VM > Settings...: its startup memory and Dynamic Memory, its virtual processors and the
virtual switch its network adapter is connected to, checked by fcm.sim.vm_settings and applied at once."""
from django.db import transaction

from fcm.inventory.models import VirtualMachine, VirtualSwitch
from fcm.sim import vm_settings as rules

from ..errors import ServerError
from ..models import Operation
from ..outbox import mark_vm


def dynamic_memory_available(node):
    """Dynamic Memory arrived with 2008 R2 Service Pack 1."""
    return node.version.order >= 3 or (node.os_version == "2008R2" and node.service_pack >= 1)


def apply_settings(user, vm, *, memory_mb, dynamic_memory, vcpus, switch):
    """Apply the Settings dialog's values to `vm`; ServerError naming the field when Hyper-V would refuse."""
    with transaction.atomic():
        vm = VirtualMachine.objects.select_for_update(of=("self",)).select_related("host_node").get(pk=vm.pk)
        if Operation.objects.filter(virtual_machine=vm, state__in=Operation.ACTIVE).exists():
            raise ServerError(f"{vm.name} is changing state or moving; change its settings once that is done.")
        host = vm.host_node
        old = {"memory_mb": vm.memory_mb, "dynamic_memory": vm.dynamic_memory, "vcpus": vm.vcpus}
        new = {"memory_mb": memory_mb, "dynamic_memory": dynamic_memory, "vcpus": vcpus}
        problem = rules.settings_problem(
            vm=vm.name, off=vm.state == VirtualMachine.State.OFF, version_order=host.version.order,
            dynamic_available=dynamic_memory_available(host), host=host.name, host_processors=host.cores,
            host_memory_mb=host.memory_mb, old=old, new=new)
        if problem:
            raise ServerError(problem.message, problem.field)
        if switch and not VirtualSwitch.objects.filter(node=host, name=switch).exists():
            raise ServerError(f"{host.name} has no virtual switch named '{switch}'.", "switch")
        VirtualMachine.objects.filter(pk=vm.pk).update(memory_mb=memory_mb, dynamic_memory=dynamic_memory,
                                                       vcpus=vcpus, virtual_switch=switch)
        mark_vm(vm)
    return vm
