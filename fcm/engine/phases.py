"""Phases of an operation's plan, and the stable keys behaviour acts on.

A phase is stored in `Operation.plan["phases"]` as a dict: `key` (what the
engine keys on), `name` (only shown: it may be reworded freely), start and
end offsets in seconds, `state` (data: the product's MigrationState, or the
state a VM shows meanwhile) and `detail`. Keys that one module writes and
another acts on are named here; fcm.sim's own plans carry theirs (setup,
memory-round, stop-and-copy, resume-on-target, save-state, take-offline,
move-disk, bring-online, switch-storage...).
"""

#: One test of a validation run.
VALIDATION_TEST = "validation-test"
#: Add Node: one server joins the cluster.
JOIN_NODE = "join-node"
#: Configure Role (High Availability wizard): one VM is checked and made highly available.
CONFIGURE_VM = "configure-vm"
#: Configure Role: the Hyper-V Replica Broker is created.
CONFIGURE_BROKER = "configure-broker"
#: A VM changes state (Start, Save, Shut Down, Turn Off).
POWER = "power"
#: New Virtual Machine: the VM is created.
CREATE_VM = "create-vm"
#: A node failure: power is lost at once; removed from the membership after the heartbeat threshold.
POWER_LOST = "power-lost"
HEARTBEATS_LOST = "heartbeats-lost"
#: 2016+: isolated for the resiliency period, its VMs still running (Unmonitored).
ISOLATED = "isolated"
REMOVED_FROM_MEMBERSHIP = "removed-from-membership"
#: A node restart: (Restart Server: Windows shuts down and configures what waited for the restart,)
#: the host boots, (waits out a quarantine,) then its Cluster service joins.
SHUT_DOWN = "shut-down"
CONFIGURE_UPDATES = "configure-updates"
CONFIGURE_FEATURES = "configure-features"
BOOT = "boot"
QUARANTINED = "quarantined"
JOIN_CLUSTER = "join-cluster"
#: Hyper-V Replica: waiting for a scheduled start, the initial copy.
SCHEDULED_START = "scheduled-start"
INITIAL_COPY = "initial-copy"


def phase(key, name, start_s, end_s, state="", detail=""):
    """A phase of a plan: `key` is what behaviour keys on; `name` is only shown."""
    return {"key": key, "name": name, "start_s": start_s, "end_s": end_s, "state": state, "detail": detail}


def sequence(steps):
    """Phases one after another from (key, name, seconds, state, detail) steps; returns (phases, total_s)."""
    phases, t = [], 0.0
    for key, name, seconds, state, detail in steps:
        phases.append(phase(key, name, t, t + seconds, state, detail))
        t += seconds
    return phases, t


#: Phases stored before they carried keys are known by their name (moves, Create Cluster) or state.
_LEGACY_BY_NAME = {
    "Setup": "setup", "Stop-and-copy": "stop-and-copy", "Resume on the target": "resume-on-target",
    "Network switch (ARP)": "network-switch", "Clean-up": "clean-up", "Save state": "save-state",
    "Take offline": "take-offline", "Move disk ownership": "move-disk", "Bring online": "bring-online",
    "Restore state": "restore-state", "Initial copy": "initial-copy", "Mirror pass": "mirror-pass",
    "Switch to the destination": "switch-storage", "Forming cluster": "form",
    "Creating cluster name object in Active Directory": "name-object", "Bringing resources online": "bring-online",
    "Configuring quorum": "quorum", "Adding eligible storage": "add-storage",
    "Configuring the cluster quorum": "configure-quorum", "Creating the virtual machine": CREATE_VM,
}
_LEGACY_BY_STATE = {
    "Validating": VALIDATION_TEST, "Configuring": CONFIGURE_VM, "Broker": CONFIGURE_BROKER, "Crash": POWER_LOST,
    "Isolate": HEARTBEATS_LOST, "Isolated": ISOLATED, "Detect": REMOVED_FROM_MEMBERSHIP, "Boot": BOOT,
    "Quarantined": QUARANTINED, "Scheduled": SCHEDULED_START, "Initial": INITIAL_COPY, "Resync": "resynchronize",
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
        return JOIN_NODE if kind == "add-node" else JOIN_CLUSTER
    if kind == "vm-power":
        return POWER
    if name in _LEGACY_BY_NAME:
        return _LEGACY_BY_NAME[name]
    if name.startswith("Memory transfer"):
        return "memory-round"
    return "step"


def with_keys(kind, plan):
    """`plan` with a key on every phase (those stored before keys existed get theirs from `legacy_key`)."""
    if not plan or not plan.get("phases") or all("key" in p for p in plan["phases"]):
        return plan
    return {**plan, "phases": [p if "key" in p else {**p, "key": legacy_key(kind, p)} for p in plan["phases"]]}
