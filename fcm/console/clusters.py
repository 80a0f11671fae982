"""A cluster's own views: its summary page, Properties, Force Cluster Start, Destroy Cluster."""
from django.http import Http404
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from fcm.engine.commands import properties
from fcm.engine.commands.clusters import destroy_cluster
from fcm.engine.facts import node_facts
from fcm.sim import quorum
from fcm.sim.placement import ReserveVm, reserve
from fcm.engine.commands import clusters as cluster_commands

from . import menus, selectors
from .base import ClusterMixin, ConsolePage, ConsoleView, refused
from .forms import ClusterPropertiesForm


def reserve_of(cluster):
    """Can the cluster sustain a node failure (and two, from 8 nodes)? From memory and priorities."""
    nodes = list(node_facts(cluster).values())
    vms = [ReserveVm(name, host, memory, priority)
           for name, host, memory, priority in selectors.running_vm_loads(cluster)]
    checks = [(1, reserve(nodes, vms, 1))]
    if len(nodes) >= 8:
        checks.append((2, reserve(nodes, vms, 2)))
    return checks


def survival_of(cluster):
    """What the cluster summary says about failures the quorum survives."""
    voting = selectors.voting_node_count(cluster)
    v = cluster.version
    return quorum.survivable_failures(voting, cluster.quorum_type, dynamic_quorum=cluster.dynamic_quorum,
                                      dynamic_witness=v.order >= 4).sentence()


class ClusterPage(ConsolePage):
    tree_item = "cluster"
    centre_template = "console/centre/cluster.html"

    def centre_context(self, **kwargs):
        c = self.cluster
        return {**selectors.cluster_summary(c), "survival": survival_of(c), "reserve": reserve_of(c)}

    def action_groups(self, context):
        return menus.for_cluster(self.cluster, context["here"], selectors.last_validation_report(self.cluster),
                                 selectors.wan_links_of(self.cluster))


class ClusterView(ConsoleView):
    page = ClusterPage


class ClusterActionView(ClusterMixin, View):
    """More Actions -> Force Cluster Start."""

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        if request.GET.get("action") != "force-start":
            raise Http404("No such action.")
        return self.simulate(request, self.cluster.name,
                             lambda: cluster_commands.force_cluster_start(request.user, self.cluster), fault=False)


class ClusterPropertiesView(ClusterMixin, View):
    """Cluster -> Properties: heartbeat thresholds and, on 2016+, compute resiliency."""

    template = "console/dialogs/cluster_properties.html"

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, form=ClusterPropertiesForm(instance=self.cluster))

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        form = ClusterPropertiesForm(request.POST, instance=selectors.cluster_row(self.cluster))
        if not form.is_valid():
            return self.dialog(request, self.template, form=form)
        values = {n: form.cleaned_data[n] for n in form.fields}
        if refused(lambda: properties.set_cluster_properties(self.cluster, values), form, next(iter(form.fields))):
            return self.dialog(request, self.template, form=form)
        return HttpResponseClientRefresh()


class DestroyView(ClusterMixin, View):
    """More Actions -> Destroy Cluster..., after the product's confirmation."""

    template = "console/dialogs/confirm.html"

    def context(self):
        return {"title": "Destroy Cluster", "icon": "failed", "yes": "Yes",
                "question": f"Are you sure you want to destroy cluster {self.cluster.fqdn}? The nodes leave the "
                            "cluster and its configuration is deleted. This cannot be undone."}

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, **self.context())

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        error = refused(lambda: destroy_cluster(self.cluster))
        if error:
            return self.dialog(request, self.template, error=error, **self.context())
        return HttpResponseClientRedirect(reverse("console:root", args=[lab]))
