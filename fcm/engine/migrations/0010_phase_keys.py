"""Phases carry a stable key that behaviour acts on (their names are only shown): every stored Operation
gets its keys from its phases' names and states, so a move in flight across the upgrade still completes.

The mapping is a frozen copy of fcm/engine/phases.py's `legacy_key` as it was when keys were added."""
from django.db import migrations


#: Phases stored before they carried keys are known by their name (moves, Create Cluster) or state.
_LEGACY_BY_NAME = {
    "Setup": "setup", "Stop-and-copy": "stop-and-copy", "Resume on the target": "resume-on-target",
    "Network switch (ARP)": "network-switch", "Clean-up": "clean-up", "Save state": "save-state",
    "Take offline": "take-offline", "Move disk ownership": "move-disk", "Bring online": "bring-online",
    "Restore state": "restore-state", "Initial copy": "initial-copy", "Mirror pass": "mirror-pass",
    "Switch to the destination": "switch-storage", "Forming cluster": "form",
    "Creating cluster name object in Active Directory": "name-object", "Bringing resources online": "bring-online",
    "Configuring quorum": "quorum", "Adding eligible storage": "add-storage",
    "Configuring the cluster quorum": "configure-quorum", "Creating the virtual machine": "create-vm",
}
_LEGACY_BY_STATE = {
    "Validating": "validation-test", "Configuring": "configure-vm", "Broker": "configure-broker", "Crash": "power-lost",
    "Isolate": "heartbeats-lost", "Isolated": "isolated", "Detect": "removed-from-membership", "Boot": "boot",
    "Quarantined": "quarantined", "Scheduled": "scheduled-start", "Initial": "initial-copy", "Resync": "resynchronize",
    "Send": "send-changes", "Failover": "fail-over", "Reverse": "reverse",
}


def legacy_key(kind, stored):
    """The key of a phase stored without one (an operation in flight across the upgrade, an older dump)."""
    # The states below belong to one kind's phases each, so they decide first: a name may be anything
    # there (a VM called "quorum" configured by the High Availability wizard).
    name, state = stored.get("name", ""), stored.get("state", "")
    if state in _LEGACY_BY_STATE:
        return _LEGACY_BY_STATE[state]
    if state == "Joining":
        return "join-node" if kind == "add-node" else "join-cluster"
    if kind == "vm-power":
        return "power"
    if name in _LEGACY_BY_NAME:
        return _LEGACY_BY_NAME[name]
    if name.startswith("Memory transfer"):
        return "memory-round"
    return "step"


def with_keys(kind, plan):
    """`plan` with a key on every phase."""
    if not plan or not plan.get("phases") or all("key" in p for p in plan["phases"]):
        return plan
    return {**plan, "phases": [p if "key" in p else {**p, "key": legacy_key(kind, p)} for p in plan["phases"]]}


def add_keys(apps, schema_editor):
    Operation = apps.get_model("engine", "Operation")
    for op in Operation.objects.exclude(plan={}).iterator():
        keyed = with_keys(op.kind, op.plan)
        if keyed is not op.plan:
            Operation.objects.filter(pk=op.pk).update(plan=keyed)


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0009_validationreport"),
    ]

    operations = [
        migrations.RunPython(add_keys, migrations.RunPython.noop),
    ]
