"""Networks: the page, Live Migration Settings, a network's Properties (name, cluster use), and Simulate ->
Disconnect / Reconnect Network."""
from django.http import Http404
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from fcm.engine.commands import properties
from fcm.engine.commands import faults, networks
from fcm.inventory.ids import whole_number, whole_numbers

from . import menus, selectors
from .base import ClusterMixin, ConsoleView, ListPage, refused
from .forms import NetworkPropertiesForm


class NetworksPage(ListPage):
    list_icon = "network"
    list_title = "Networks"
    tree_item = "networks"
    centre_template = "console/centre/networks.html"
    detail_template = "console/detail/network.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.cluster_networks(self.cluster, q))
        if pk is not None:
            net = self.select(lambda: selectors.cluster_network_detail(self.cluster, pk))
            ctx.update(self.tabs(("summary", "Summary"), ("connections", "Network Connections")))
            ctx["connections"] = list(selectors.network_connections(self.cluster, net.network))
        return ctx

    def action_groups(self, context):
        links = {a.connected for a in context.get("connections", ())}
        return menus.for_networks(self.cluster, context["here"], self.selected, links)


class NetworksView(ConsoleView):
    page = NetworksPage


class LiveMigrationSettingsView(ClusterMixin, View):
    """Networks -> Live Migration Settings...: networks in preference order, and the per-node limit."""

    template = "console/dialogs/live_migration_settings.html"

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return self.dialog(request, self.template, networks=selectors.live_migration_networks(self.cluster))

    def post(self, request, lab, cluster):
        self.load(request, lab, cluster)
        order = whole_numbers(request.POST.getlist("order"))
        allowed = set(whole_numbers(request.POST.getlist("allowed")))
        limit = whole_number(request.POST.get("simultaneous"))
        error = refused(lambda: properties.set_live_migration_settings(self.cluster, order, allowed, limit))
        if error:
            return self.dialog(request, self.template, networks=selectors.live_migration_networks(self.cluster),
                               error=error)
        return HttpResponseClientRefresh()


class NetworkFaultView(ClusterMixin, View):
    """Simulate -> Disconnect / Reconnect Network: every node's adapter on that cluster network."""

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        network = selectors.cluster_network_in(self.cluster, pk)
        action = request.GET.get("action", "")
        if network is None or action not in ("connect", "disconnect"):
            raise Http404("No such network or action.")
        return self.simulate(request, network.name,
                             lambda: faults.set_network(request.user, network, action == "connect"))


class NetworkPropertiesView(ClusterMixin, View):
    """A network's Properties: Name, and its Cluster Use in the product's words (Role 0, 1 or 3)."""

    template = "console/dialogs/network_properties.html"

    def network(self, pk):
        network = selectors.cluster_network_in(self.cluster, pk)
        if network is None:
            raise Http404("No such network.")
        return network

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        network = self.network(pk)
        return self.dialog(request, self.template, form=NetworkPropertiesForm.of(network), network=network)

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster)
        network = self.network(pk)
        form = NetworkPropertiesForm.of(network, request.POST)
        if not form.is_valid() or refused(lambda: networks.set_network_properties(
                request.user, network, form.cleaned_data["name"], form.role()), form):
            return self.dialog(request, self.template, form=form, network=network)
        return HttpResponseClientRefresh()

