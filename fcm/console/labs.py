"""The lab list, and a lab's own pages: the root (Failover Cluster Manager) and Servers (presenters.ServersPage)."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from fcm.sim import versions

from . import menus, selectors
from .base import ConsolePage, ConsoleView
from .presenters import ServersPage


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


class ServersView(ConsoleView):
    page = ServersPage
