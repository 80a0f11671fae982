"""Configure Role / High Availability wizard: one phase per VM checked and made highly available, or the
Hyper-V Replica Broker created; the report (op.result["vms"]) says what became a role and why not."""
from fcm.inventory.models import VirtualMachine

from .. import phases
from ..effects.broker import create_broker
from ..effects.roles import ha_problems, make_highly_available
from ..errors import ReplicationError, RoleError
from ..models import Operation
from ..registry import OperationKind, register


def configure_one(op, phase):
    vm = VirtualMachine.objects.select_related("role", "host_node", "configuration_disk").filter(
        pk=int(phase["detail"])).first()
    entry = {"vm": vm.name if vm else phase["name"], "role": None, "errors": [], "warnings": []}
    if vm is not None:
        errors, warnings = ha_problems(vm, op.cluster)
        entry["warnings"] = warnings
        if errors:
            entry["errors"] = errors
        else:
            try:
                role = make_highly_available(vm, op.cluster)
                entry["role"] = role.name
            except RoleError as exc:
                entry["errors"] = [str(exc)]
    results = (op.result or {}).get("vms", []) + [entry]
    op.result = {**(op.result or {}), "vms": results}
    Operation.objects.filter(pk=op.pk).update(result=op.result)


def configure_broker(op, phase):
    name, ip = phase["detail"].split(" ", 1)
    entry = {"vm": f"Hyper-V Replica Broker {name}", "role": None, "errors": [], "warnings": []}
    try:
        create_broker(op.cluster, name, ip)
        entry["role"] = name
    except ReplicationError as exc:
        entry["errors"] = [str(exc)]
    result = dict(op.result or {})
    result["vms"] = list(result.get("vms", [])) + [entry]
    type(op).objects.filter(pk=op.pk).update(result=result)
    op.result = result


@register
class ConfigureRole(OperationKind):
    kind = Operation.Kind.CONFIGURE_ROLE

    def enter_phase(self, op, phase, sim_now):
        if phase["key"] == phases.CONFIGURE_VM:
            configure_one(op, phase)
        elif phase["key"] == phases.CONFIGURE_BROKER:
            configure_broker(op, phase)
