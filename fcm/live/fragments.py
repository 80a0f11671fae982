"""Render what changed in a lab as out-of-band fragments, once per tick.

The pieces are the same partial templates the pages use, so a console
kept current by pushes shows what a fresh page load would.
"""
from django.template.loader import render_to_string

from fcm.console.menus import in_version, node_group, role_group, server_group, vm_group
from fcm.console.presenters import replication_health
from fcm.console.selectors import checkpoint_tree, replication_of, replication_of_vm, with_load_counts
from fcm.engine.clock import CLOCK_SPEEDS
from fcm.engine.models import Operation, Outbox
from fcm.engine.status import attach_last_operations, attach_operations, vm_status
from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, Node, Role, VirtualMachine
from fcm.sim import checkpoints as checkpoint_rules
from fcm.wizards.views import render_operation_fragment


def render_pushes(lab, changes, sim_now, progress_role_ids=()):
    """{push key: HTML} for one lab's changes in a pass: its consoles' fragments, and for a trainee's
    lab that replaced another (a reset), the notice the old lab's open consoles get."""
    out = {lab.pk: render_changes(lab, changes, sim_now, progress_role_ids)}
    for old_lab in changes.get(Outbox.Kind.LAB_REPLACED, ()):
        out[old_lab] = render_to_string("training/_lab_reset.html", {"oob": True})
    return out


def render_notice(lab, record, now):
    """The lab's failure notice for its consoles (`record` None: the lab runs again, the notice goes)."""
    return render_to_string("console/_lab_health.html", {"notice": record.notice(now) if record else "", "oob": True})


def render_changes(lab, changes, sim_now, progress_role_ids=()):
    """`changes` come from the outbox (render in full); roles only in
    `progress_role_ids` are moving and get the light progress pieces.

    A kind with no ids this pass is not queried at all: a busy class renders every lab four times
    a second, mostly for progress alone, and building an empty query costs nearly as much as running one."""
    full_ids = changes.get(Outbox.Kind.ROLE, set())
    replication_ids = changes.get(Outbox.Kind.REPLICATION, set())
    role_ids = set(full_ids) | set(progress_role_ids) | set(replication_ids)
    node_ids = changes.get(Outbox.Kind.NODE, set())
    event_ids = changes.get(Outbox.Kind.EVENT, set())
    op_ids = changes.get(Outbox.Kind.OPERATION, set())
    roles = list(Role.objects.filter(pk__in=role_ids, cluster__lab=lab)
                 .select_related("owner_node", "virtual_machine", "cluster")) if role_ids else []
    if roles:
        attach_operations(lab, roles)
        attach_last_operations(roles, sim_now)
    nodes = list(with_load_counts(Node.objects.filter(pk__in=node_ids, lab=lab)
                                  .select_related("domain", "cluster__domain"))) if node_ids else []
    for n in nodes:  # Servers shows the server's own actions, which change with its power and domain
        n.action_group = server_group(lab, n)
        if n.cluster_id:  # and its cluster's Nodes view the node's (Pause, Resume, Simulate > Power On, ...)
            n.node_group = in_version([node_group(n.cluster, n)], n.cluster.version)[0]
    vm_ids = changes.get(Outbox.Kind.VM)
    vms = list(VirtualMachine.objects.filter(pk__in=vm_ids, lab=lab)
               .select_related("host_node__cluster", "role__cluster")
               .prefetch_related("hard_disks", "checkpoints")) if vm_ids else []
    if vms:
        busy = {op.virtual_machine_id: op for op in Operation.objects.filter(
            virtual_machine__in=vms, state__in=Operation.ACTIVE)}
        for vm in vms:
            vm.action_group = vm_group(lab, vm, busy.get(vm.pk))
            vm.status_text = vm_status(busy.get(vm.pk), sim_now)
            # Hyper-V Manager's Checkpoints pane of the VM (the consoles keep their own selection in it)
            vm.checkpoint_rows = checkpoint_tree(vm)
            vm.checkpoint_term = checkpoint_rules.term(vm.host_node.version.order)
            rep, side = replication_of_vm(vm)  # Hyper-V Manager's Replication tab of a VM in no cluster
            vm.replication_tab = replication_health(rep, side, sim_now) if rep is not None else None
    events = list(ClusterEvent.objects.filter(pk__in=event_ids, lab=lab).select_related("node", "role")
                  .order_by("sim_time", "pk")) if event_ids else []
    by_cluster = {}
    for e in events:
        by_cluster.setdefault(e.cluster_id, []).insert(0, e)
    operations = []
    if op_ids:
        operations = [render_operation_fragment(op) for op in Operation.objects.filter(
            pk__in=op_ids, lab=lab).select_related("lab", "cluster")]
    disk_ids, network_ids = changes.get(Outbox.Kind.DISK), changes.get(Outbox.Kind.NETWORK)
    cluster_ids = changes.get(Outbox.Kind.CLUSTER)
    disks = list(ClusterDisk.objects.filter(pk__in=disk_ids, cluster__lab=lab)
                 .select_related("owner_node")) if disk_ids else []
    networks = list(ClusterNetwork.objects.filter(pk__in=network_ids, cluster__lab=lab)) if network_ids else []
    clusters = list(Cluster.objects.filter(pk__in=cluster_ids, lab=lab)) if cluster_ids else []
    if not (roles or nodes or vms or events or operations or disks or networks or clusters
            or Outbox.Kind.CLOCK in changes):
        return ""
    for role in roles:
        role.full = role.pk in full_ids
        if role.full:
            role.action_group = in_version([role_group(role.cluster, role, getattr(role, "operation", None))],
                                           role.cluster.version)[0]
        if role.full or role.pk in replication_ids:
            rep, side = replication_of(role)
            if rep is not None:
                role.replication = replication_health(rep, side, sim_now)
    return render_to_string("live/fragments.html", {
        "lab": lab, "sim_now": sim_now, "roles": roles, "nodes": nodes, "vms": vms,
        "event_groups": sorted(by_cluster.items()), "clock": Outbox.Kind.CLOCK in changes,
        "query_suffix": "", "oob": True, "can_control_clock": True, "clock_speeds": CLOCK_SPEEDS,
        "operations": operations, "disks": disks, "networks": networks, "clusters": clusters,
    })
