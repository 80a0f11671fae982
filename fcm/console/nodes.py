"""Nodes: the page, Pause / Resume and the Cluster service, Evict, and Simulate on a node or its adapters."""
from django.http import Http404
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from fcm.engine.commands.clusters import evict_node
from fcm.sim import quorum
from fcm.engine.commands import faults
from fcm.engine.commands import nodes as node_commands

from . import menus, selectors
from .base import ClusterMixin, ConsoleView, ListPage, refused


def current_votes(cluster):
    """Votes in force now (Current Vote): nodes that are Up, with dynamic quorum and witness."""
    return quorum.current_votes(selectors.up_node_weights(cluster), cluster.quorum_type,
                                dynamic_quorum=cluster.dynamic_quorum, dynamic_witness=cluster.version.order >= 4)


class NodesPage(ListPage):
    list_icon = "node"
    list_title = "Nodes"
    tree_item = "nodes"
    centre_template = "console/centre/nodes.html"
    detail_template = "console/detail/node.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.nodes(self.cluster, q))
        votes = current_votes(self.cluster)
        for n in ctx["rows"]:
            n.current_vote = votes.node_votes.get(n.name, 0)
        ctx["witness_vote"] = votes.witness_vote
        if pk is not None:
            self.select(lambda: selectors.node_detail(self.cluster, pk))
            self.selected.current_vote = votes.node_votes.get(self.selected.name, 0)
            ctx["recent_events"] = selectors.recent_events(self.cluster, node=self.selected)
            ctx.update(self.tabs(("summary", "Summary"), ("network", "Network Connections")))
        return ctx

    def action_groups(self, context):
        return menus.for_nodes(self.cluster, context["here"], self.selected)


class NodesView(ConsoleView):
    page = NodesPage


class EvictView(ClusterMixin, View):
    """More Actions -> Evict, after the product's confirmation."""

    template = "console/dialogs/confirm.html"

    def context(self, node):
        return {"title": "Evict node", "icon": "failed", "yes": "Yes",
                "question": f"Are you sure you want to evict node {node.name} from cluster {self.cluster.name}? "
                            "Its cluster configuration will be removed."}

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, **self.context(self.node(pk)))

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        node = self.node(pk)
        error = refused(lambda: evict_node(node))
        if error:
            return self.dialog(request, self.template, error=error, **self.context(node))
        return HttpResponseClientRedirect(reverse("console:nodes", args=[lab, cluster]))


class NodeActionView(ClusterMixin, View):
    """Pause / Resume (with or without drain and failback), cluster service, and Simulate faults."""

    FAULTS = {"power-off", "power-on", "storage-off", "storage-on"}

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        node = self.node(pk)
        user = request.user
        handlers = {
            "drain": lambda: node_commands.pause_node(user, node, drain=True),
            "pause": lambda: node_commands.pause_node(user, node, drain=False),
            "failback": lambda: node_commands.resume_node(user, node, fail_back=True),
            "resume": lambda: node_commands.resume_node(user, node, fail_back=False),
            "power-off": lambda: faults.crash_node(user, node),
            "power-on": lambda: faults.restart_node(user, node),
            "stop-service": lambda: node_commands.stop_cluster_service(user, node),
            "start-service": lambda: node_commands.start_cluster_service(user, node),
            "storage-off": lambda: faults.set_storage_paths(user, node, False),
            "storage-on": lambda: faults.set_storage_paths(user, node, True),
        }
        action = request.GET.get("action", "")
        handler = handlers.get(action)
        if handler is None:
            raise Http404("No such action.")
        return self.simulate(request, node.name, handler, fault=action in self.FAULTS)


class AdapterView(ClusterMixin, View):
    """Simulate -> Disconnect / Reconnect one network adapter of a node."""

    def post(self, request, lab, cluster, pk, adapter):
        self.load(request, lab, cluster)
        nic = selectors.adapter_in(self.cluster, pk, adapter)
        if nic is None:
            raise Http404("No such adapter.")
        connect = request.GET.get("connect") == "1"
        return self.simulate(request, nic.name, lambda: faults.set_adapter(request.user, nic, connect))
