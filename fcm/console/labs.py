"""The lab list, and a lab's own pages: the root (Failover Cluster Manager) and Servers."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from fcm.sim import versions

from . import menus, selectors
from .base import ConsolePage, ConsoleView, ListPage


class LabListView(LoginRequiredMixin, TemplateView):
    template_name = "console/lab_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "labs": selectors.labs_for(self.request.user)}


class RootPage(ConsolePage):
    tree_item = "root"
    centre_template = "console/centre/root.html"

    def action_groups(self, context):
        order = max((c.version.order for c in context["clusters"]), default=0) or max(
            (versions.get(v).order for v in selectors.lab_os_versions(self.lab)), default=3)
        return menus.for_root(self.lab, context["here"], order)


class RootView(ConsoleView):
    page = RootPage


class ServersPage(ListPage):
    list_icon = "server"
    list_title = "Servers"
    tree_item = "servers"
    centre_template = "console/centre/servers.html"
    detail_template = "console/detail/server.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.servers(self.lab, q))
        ctx["adapters"] = selectors.server_adapter_summaries(ctx["rows"])
        ctx["disk_counts"] = selectors.server_disk_counts(ctx["rows"])
        if pk is not None:
            self.select(lambda: selectors.server_detail(self.lab, pk))
            ctx.update(self.tabs(("summary", "Summary"), ("network", "Network Adapters"),
                                 ("storage", "Disks"), ("vms", "Virtual Machines")))
        return ctx

    def action_groups(self, context):
        return menus.for_servers(self.lab, context["here"], self.selected)


class ServersView(ConsoleView):
    page = ServersPage
