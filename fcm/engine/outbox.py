"""Marks: what changed, written in the transaction that changed it (the transactional outbox).

The runner takes the rows after they commit, renders each changed thing once
and pushes it to the lab's consoles; a change is never pushed before it is
committed, and a restart loses no push.
"""
from .models import Outbox


def mark(lab_id, kind, object_id=None):
    Outbox.objects.create(lab_id=lab_id, kind=kind, object_id=object_id)


def mark_role(role):
    mark(role.cluster.lab_id, Outbox.Kind.ROLE, role.pk)


def mark_vm(vm):
    """A virtual machine's state: its role when it is clustered, else the VM itself (Servers shows it)."""
    if vm.role_id:
        mark(vm.lab_id, Outbox.Kind.ROLE, vm.role_id)
    else:
        mark(vm.lab_id, Outbox.Kind.VM, vm.pk)


def mark_operation(op):
    """Re-render what shows this operation: its role, the VM outside a cluster it changes, or its wizard's
    progress."""
    if op.role_id:
        mark_role(op.role)
    elif op.virtual_machine_id:
        mark(op.lab_id, Outbox.Kind.VM, op.virtual_machine_id)
    else:
        mark(op.lab_id, Outbox.Kind.OPERATION, op.pk)


def mark_nodes(lab_id, *nodes):
    for node in nodes:
        if node is not None:
            mark(lab_id, Outbox.Kind.NODE, node.pk)
