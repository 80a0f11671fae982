"""Virtual machine commands: the New Virtual Machine wizard's Finish."""
from .. import lifecycle, phases
from ..models import Operation


def start_new_vm(user, node, spec):
    """The wizard's Finish: a short Operation whose completion creates the VM (kinds/new_vm)."""
    plan = lifecycle.make_plan([phases.phase(phases.CREATE_VM, "Creating the virtual machine", 0.0, 2.0)],
                               spec["name"], params={**spec, "node": node.pk})
    return lifecycle.begin(node.lab, Operation.Kind.NEW_VM, plan, cluster=node.cluster, source_node=node,
                           target_node=node, requested_by=user, was_running=False)
