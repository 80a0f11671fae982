"""Stateful property test: random sequences of moves, drains, crashes, restarts, power
actions and clock advances on a generated lab; after every step the invariants hold."""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from django.db.models import F
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fcm.engine.models import Operation
from fcm.inventory.generate import generate
from fcm.inventory.models import ClusterDisk, ClusterEvent, Lab, Node, Role, VirtualMachine
from fcm.engine.commands import clusters as cluster_commands
from fcm.engine.effects import membership as cluster_membership
from fcm.engine import errors
from fcm.engine import facts
from fcm.engine.commands import faults
from fcm.engine.commands import moves
from fcm.engine.commands import nodes
from fcm.engine.effects import power

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(__import__("os").environ.get("FCM_SOAK_EXAMPLES", "15"))
STEPS = 25


class ClusterMachine(RuleBasedStateMachine):
    #: Hypothesis, not pytest, makes the machines: the `make_runner` fixture reaches them through the class.
    make_runner = None

    def __init__(self):
        super().__init__()
        from django.contrib.auth import get_user_model
        Lab.objects.all().delete()
        self.user = get_user_model().objects.get_or_create(username="chaos")[0]
        self.lab = generate(self.user, nodes=4, vms=10, os_version="2016", name="chaos")
        self.lab.refresh_from_db()
        self.runner = self.make_runner()

    def nodes(self):
        return list(Node.objects.filter(lab=self.lab).order_by("name"))

    def roles(self):
        return list(Role.objects.filter(cluster__lab=self.lab).select_related("cluster", "virtual_machine__host_node")
                    .order_by("name"))

    @rule(i=st.integers(0, 9), j=st.integers(0, 3), live=st.booleans())
    def move(self, i, j, live):
        role, node = self.roles()[i], self.nodes()[j]
        moves.request_moves(self.user, [role], Operation.Kind.LIVE_MIGRATION if live else
                               Operation.Kind.QUICK_MIGRATION, node)

    @rule(j=st.integers(0, 3), drain=st.booleans())
    def pause(self, j, drain):
        try:
            nodes.pause_node(self.user, self.nodes()[j], drain)
        except errors.FailureError:
            pass

    @rule(j=st.integers(0, 3), back=st.booleans())
    def resume(self, j, back):
        try:
            nodes.resume_node(self.user, self.nodes()[j], back)
        except errors.FailureError:
            pass

    @rule(j=st.integers(0, 3))
    def crash(self, j):
        try:
            faults.crash_node(self.user, self.nodes()[j])
        except errors.FailureError:
            pass

    @rule(j=st.integers(0, 3))
    def power_on(self, j):
        try:
            faults.restart_node(self.user, self.nodes()[j])
        except errors.FailureError:
            pass

    @rule(j=st.integers(0, 3), k=st.integers(0, 3), connect=st.booleans())
    def nic(self, j, k, connect):
        from fcm.inventory.models import NetworkAdapter
        adapter = NetworkAdapter.objects.filter(node=self.nodes()[j]).order_by("name")[k]
        try:
            faults.set_adapter(self.user, adapter, connect)
        except errors.MembershipError:
            pass

    @rule(k=st.integers(0, 3), connect=st.booleans())
    def network(self, k, connect):
        from fcm.inventory.models import ClusterNetwork
        net = ClusterNetwork.objects.filter(cluster__lab=self.lab).order_by("name")[k]
        try:
            faults.set_network(self.user, net, connect)
        except errors.MembershipError:
            pass

    @rule(j=st.integers(0, 3), connect=st.booleans())
    def storage(self, j, connect):
        try:
            faults.set_storage_paths(self.user, self.nodes()[j], connect)
        except errors.StorageFaultError:
            pass

    @rule(d=st.integers(0, 1), online=st.booleans())
    def lun(self, d, online):
        from fcm.inventory.models import Disk
        try:
            faults.set_disk(self.user, Disk.objects.filter(lab=self.lab).order_by("name")[d], online)
        except errors.StorageFaultError:
            pass

    @rule()
    def force_start(self):
        from fcm.inventory.models import Cluster
        try:
            cluster_commands.force_cluster_start(self.user, Cluster.objects.get(lab=self.lab))
        except errors.MembershipError:
            pass

    @rule(i=st.integers(0, 9), action=st.sampled_from(["start", "save", "shutdown", "turnoff"]))
    def power(self, i, action):
        vm = self.roles()[i].virtual_machine
        try:
            power.request_power(self.user, vm, action)
        except errors.RoleError:
            pass

    def _pass(self, seconds):
        """Move the lab's clock on by `seconds` (its anchor slides back), then tick.

        Users' actions read the same clock as the engine, so the whole run
        shares one timeline, as it does in the product."""
        Lab.objects.filter(pk=self.lab.pk).update(wall_anchor=F("wall_anchor") - timedelta(seconds=seconds))
        self.runner.tick()

    @rule(seconds=st.sampled_from([0.5, 3, 10, 40, 150]))
    def advance(self, seconds):
        self._pass(seconds)

    @invariant()
    def one_owner_and_it_is_up(self):
        # Between a crash and its detection the cluster still counts the node Up
        # (and its roles Online), as the product does; its VMs are already off.
        for role in Role.objects.filter(cluster__lab=self.lab).select_related("owner_node", "cluster"):
            assert role.owner_node is not None
            if role.state in ("Online", "Pending") and role.cluster.state == "Running":
                # 2016+: an isolated node keeps its VMs (Unmonitored); a quarantined one while they leave.
                assert role.owner_node.state in ("Up", "Paused", "Isolated", "Quarantined"), (
                    role.name, role.owner_node.state)

    @invariant()
    def nothing_runs_on_a_dead_node_or_without_quorum(self):
        for vm in VirtualMachine.objects.filter(lab=self.lab, state__in=VirtualMachine.RUNNING_STATES) \
                .select_related("host_node__cluster"):
            assert vm.host_node.power_state == "On", vm.name
            assert vm.host_node.state in ("Up", "Paused", "Isolated", "Quarantined"), (vm.name, vm.host_node.state)
            assert vm.host_node.cluster.state == "Running"

    @invariant()
    def no_vm_runs_without_its_storage(self):
        for vm in VirtualMachine.objects.filter(lab=self.lab, state="Running").select_related("host_node"):
            if vm.host_node.state in ("Up", "Paused"):
                assert facts.storage_problem(vm) == "", vm.name

    @invariant()
    def only_one_partition_runs_roles(self):
        from fcm.inventory.models import Cluster
        from fcm.sim.membership import partitions
        cluster = Cluster.objects.get(lab=self.lab)
        hosts = list(Node.objects.filter(lab=self.lab, virtual_machines__state="Running",
                                         state__in=["Up", "Paused"]).distinct())
        if cluster.state == "Running" and hosts:
            groups = partitions(cluster_membership.links(cluster, hosts))
            # Hosts of running VMs that cannot reach each other: one of them must be on its way out.
            out = set(Operation.objects.filter(lab=self.lab, kind="node-failure", state__in=Operation.ACTIVE)
                      .values_list("source_node__name", flat=True))
            assert sum(1 for g in groups if not g <= out) <= 1, groups

    @invariant()
    def running_vms_fit_their_host(self):
        for node in Node.objects.filter(lab=self.lab):
            used = sum(VirtualMachine.objects.filter(host_node=node, state__in=VirtualMachine.RUNNING_STATES)
                       .values_list("memory_mb", flat=True))
            assert used <= node.memory_mb, node.name

    @invariant()
    def operations_are_in_a_known_state(self):
        states = set(Operation.objects.filter(lab=self.lab).values_list("state", flat=True))
        assert states <= {"queued", "running", "completed", "failed", "cancelled"}
        for op in Operation.objects.filter(lab=self.lab, state__in=["completed", "failed", "cancelled"]):
            assert op.finished_at is not None

    @invariant()
    def a_disk_has_one_owner(self):
        for cd in ClusterDisk.objects.filter(cluster__lab=self.lab):
            assert cd.owner_node_id is not None

    @invariant()
    def at_most_one_active_operation_per_vm(self):
        from django.db.models import Count
        dup = (Operation.objects.filter(lab=self.lab, state__in=Operation.ACTIVE, virtual_machine__isnull=False)
               .values("virtual_machine").annotate(n=Count("pk")).filter(n__gt=1))
        assert not dup.exists()

    def teardown(self):
        # Let every operation finish: nothing may stay queued or running for ever.
        for _ in range(12):
            self._pass(1000)  # a quarantine lasts 7,200 s
        stuck = Operation.objects.filter(lab=self.lab, state__in=Operation.ACTIVE)
        blocked = [op for op in stuck if op.state == "queued"]
        assert len(blocked) == stuck.count(), [str(op) for op in stuck]
        times = list(ClusterEvent.objects.filter(lab=self.lab).order_by("pk").values_list("sim_time", flat=True))
        assert times == sorted(times), "event times went backwards"


@pytest.fixture(autouse=True)
def _machine_runner(make_runner, monkeypatch):
    monkeypatch.setattr(ClusterMachine, "make_runner", staticmethod(make_runner))


TestClusterMachine = ClusterMachine.TestCase
TestClusterMachine.settings = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                                       derandomize=True, suppress_health_check=list(HealthCheck))
