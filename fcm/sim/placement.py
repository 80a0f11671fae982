"""Where a role may move, and which node is the best possible one.

The checks are the product's reasons a move is refused (fcm.md sections 6
and 8.2): the target must be Up (not Paused, Down or Joining), have memory
for the VM, reach every disk the VM's files are on, and, for a live
migration, share the source's processor vendor (Hyper-V cannot live-migrate
between Intel and AMD; a quick migration restarts the processor state and
is allowed). Best Possible Node takes the preferred owners first, in their
order, then the eligible node with the most free memory.
"""
import heapq
from dataclasses import dataclass, field

#: Memory the parent partition keeps for itself on a Hyper-V host.
HOST_RESERVE_MB = 2048

LIVE = "live"
QUICK = "quick"

#: The node state a role may move to (the cluster's NodeState "Up").
UP = "Up"


@dataclass(frozen=True)
class NodeFacts:
    name: str
    state: str  # Up, Down, Paused, Joining
    memory_mb: int
    used_memory_mb: int
    processor_vendor: str
    #: LUN names this node has a working path to.
    reachable_disks: frozenset = field(default_factory=frozenset)

    @property
    def free_memory_mb(self):
        return max(self.memory_mb - HOST_RESERVE_MB - self.used_memory_mb, 0)


@dataclass(frozen=True)
class VmFacts:
    name: str
    memory_mb: int
    running: bool
    host: str
    #: LUN names the VM's configuration and VHDs live on; None = local disk.
    disks: tuple = ()


def ineligibility(vm, node, source, kind):
    """Why `vm` cannot move to `node` (the product's reasons), or None."""
    if node.name == vm.host:
        return f"{vm.name} is already on {node.name}."
    if node.state != UP:
        return f"{node.name} is {node.state.lower()}: a role can move only to a node that is up."
    if vm.running and vm.memory_mb > node.free_memory_mb:
        return (f"{node.name} does not have enough free memory: {vm.name} needs {vm.memory_mb} MB, "
                f"{node.free_memory_mb} MB are free.")
    local = [d for d in vm.disks if d is None]
    if local:
        return f"The files of {vm.name} are on local storage of {vm.host}, which {node.name} cannot reach."
    missing = sorted(d for d in vm.disks if d not in node.reachable_disks)
    if missing:
        return f"{node.name} cannot reach the storage of {vm.name} ({', '.join(missing)})."
    if kind == LIVE and vm.running and source is not None and source.processor_vendor != node.processor_vendor:
        return (f"The processor of {node.name} ({_vendor(node)}) is not compatible with "
                f"{source.name} ({_vendor(source)}): live migration is refused; use Quick Migration.")
    return None


def _vendor(node):
    return {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(node.processor_vendor, node.processor_vendor)


def best_possible_node(vm, nodes, preferred=(), kind=LIVE, reserved_mb=None):
    """The node a 'Best Possible Node' move picks, or None.

    `reserved_mb` maps node names to memory already promised to other moves
    of the same batch, so several VMs moved at once do not overfill a node.
    """
    reserved_mb = reserved_mb or {}
    by_name = {n.name: n for n in nodes}
    source = by_name.get(vm.host)

    def with_reservation(n):
        extra = reserved_mb.get(n.name, 0)
        if not extra:
            return n
        return NodeFacts(n.name, n.state, n.memory_mb, n.used_memory_mb + extra,
                         n.processor_vendor, n.reachable_disks)

    eligible = [n for n in map(with_reservation, nodes) if ineligibility(vm, n, source, kind) is None]
    if not eligible:
        return None
    names = [e.name for e in eligible]
    for name in preferred:
        if name in names:
            return name
    return max(eligible, key=lambda n: (n.free_memory_mb, -names.index(n.name))).name


@dataclass(frozen=True)
class ReserveVm:
    name: str
    host: str
    memory_mb: int
    #: 3000 High, 2000 Medium, 1000 Low, 0 No Auto Start (never restarted).
    priority: int = 2000


@dataclass(frozen=True)
class ReserveResult:
    failed_nodes: tuple
    #: VMs of the failed nodes that would not restart for lack of memory.
    stranded: tuple
    #: No Auto Start VMs of the failed nodes (left off by policy).
    not_started: tuple

    @property
    def sustained(self):
        return not self.stranded


def reserve(nodes, vms, failures=1):
    """Can the cluster sustain `failures` node failures? (The SCVMM question.)

    For each set of `failures` failing nodes (every single node; for two,
    the pairs of the busiest nodes), restart their VMs on the others in
    priority order (High, Medium, Low; No Auto Start stays off), each on the
    surviving node with the most free memory. Returns the worst case.
    """
    up = [n for n in nodes if n.state == UP]
    by_host = {}
    for vm in vms:
        by_host.setdefault(vm.host, []).append(vm)
    load = sorted(up, key=lambda n: -sum(v.memory_mb for v in by_host.get(n.name, ())))
    if failures == 1:
        candidates = [(n,) for n in up]
    else:
        busiest = load[: min(len(load), 6)]
        candidates = [tuple(busiest[i:i + failures]) for i in range(len(busiest) - failures + 1)] or [tuple(load)]
    worst = None
    for failed in candidates:
        names = {n.name for n in failed}
        # A max-heap of free memory: each VM goes to the node with the most room.
        free = [(-n.free_memory_mb, n.name) for n in up if n.name not in names]
        heapq.heapify(free)
        moving = sorted((v for n in names for v in by_host.get(n, ())), key=lambda v: (-v.priority, v.name))
        stranded, parked = [], []
        for vm in moving:
            if vm.priority == 0:
                parked.append(vm.name)
                continue
            if not free or -free[0][0] < vm.memory_mb:
                stranded.append(vm.name)
                continue
            room, name = heapq.heappop(free)
            heapq.heappush(free, (room + vm.memory_mb, name))
        result = ReserveResult(tuple(sorted(names)), tuple(stranded), tuple(parked))
        if worst is None or len(result.stranded) > len(worst.stranded):
            worst = result
    return worst or ReserveResult((), (), ())
