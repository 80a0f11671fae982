"""What several views render: a VM's replication health, the selected role, several selected roles, the
Servers page (a server, its virtual machines, its adapters).

The Roles page with a role selected is the answer of every dialog and
action on that role (its details and Actions pane, as a row click shows
them), so it is built here once; pushes render the replication health
with the same figures the Replication tab and its dialog show.
"""
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse

from fcm.engine import status
from fcm.engine.status import attach_last_operations, attach_operations
from fcm.sim import replication as model
from fcm.engine.effects import replication as replication_effects

from . import menus, selectors
from .base import ListPage, close_dialog


def replication_health(rep, side, sim_now):
    """The Replication tab's and View Replication Health's figures (pushes render them too)."""
    h = replication_effects.health(rep, sim_now)
    return {
        "rep": rep, "side": side, "health": h, "sim_now": sim_now,
        "frequency": model.frequency_label(rep.frequency_s),
        "pending_gb": rep.pending_mib / 1024,
    }


def group_resources(resources):
    """The Resources tab groups resources the way the product does."""
    groups = {"Storage": [], "Virtual Machine": [], "Server Name": [], "Other Resources": []}
    for r in resources:
        if r.type == r.Type.PHYSICAL_DISK:
            groups["Storage"].append(r)
        elif r.type in (r.Type.VIRTUAL_MACHINE, r.Type.VM_CONFIGURATION):
            groups["Virtual Machine"].append(r)
        elif r.type in (r.Type.NETWORK_NAME, r.Type.IP_ADDRESS):
            groups["Server Name"].append(r)
        else:
            groups["Other Resources"].append(r)
    return [(title, items) for title, items in groups.items() if items]


class RolesPage(ListPage):
    """Roles (Services and Applications before 2012): the list, and the selected role's details."""

    list_icon = "folder"
    tree_item = "roles"
    centre_template = "console/centre/roles.html"
    detail_template = "console/detail/role.html"

    def centre_context(self, pk=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.roles(self.cluster, q))
        ctx["list_title"] = self.cluster.roles_label
        role = None
        if pk is not None:
            role = self.select(lambda: selectors.role_detail(self.cluster, pk))
            ctx.update(self.selection(role))
        attach_operations(self.lab, ctx["rows"] + ([role] if role else []))
        return ctx

    def selection(self, role):
        """The selected role's tabs and what they show."""
        ctx = {}
        tabs = [("summary", "Summary"), ("resources", "Resources")]
        if role.type == role.Type.VIRTUAL_MACHINE:
            tabs.append(("migration", "Migration"))
            rep, side = selectors.replication_of(role)
            if rep is not None:  # the product shows the tab only for a replicated VM
                tabs.append(("replication", "Replication"))
                ctx.update(replication_health(rep, side, self.sim_now))
        ctx.update(self.tabs(*tabs))
        ctx["resource_groups"] = group_resources(role.resources.all())
        attach_last_operations([role], self.sim_now)
        ctx["recent_events"] = selectors.recent_events(self.cluster, role=role)
        return ctx

    def action_groups(self, context):
        return menus.for_roles(self.cluster, context["here"], self.selected,
                               getattr(self.selected, "operation", None))


def role_details(request, lab, cluster, pk):
    """The answer to a dialog or action on a role: its details and Actions pane as a row click
    shows them (the whole Roles page for a request that is not a row's), and the dialog gone."""
    return close_dialog(RolesPage.respond(request, lab=lab, cluster=cluster, pk=pk))


def roles_selection(request, lab, cluster, roles):
    """Several rows selected (Ctrl+click): their summary and the actions they share."""
    sim_now = lab.sim_now()
    attach_operations(lab, roles)
    return TemplateResponse(request, "console/detail/roles_many.html", {
        "lab": lab, "current_cluster": cluster, "roles": roles, "sim_now": sim_now,
        "action_groups": menus.for_many_roles(cluster, request.get_full_path(), roles)})


class ServersPage(ListPage):
    list_icon = "server"
    list_title = "Servers"
    tree_item = "servers"
    centre_template = "console/centre/servers.html"
    detail_template = "console/detail/server.html"

    vm = adapter = vm_op = None

    def centre_context(self, pk=None, vm=None, adapter=None, **kwargs):
        ctx = self.paginate(lambda q: selectors.servers(self.lab, q))
        ctx["adapters"] = selectors.server_adapter_summaries(ctx["rows"])
        ctx["disk_counts"] = selectors.server_disk_counts(ctx["rows"])
        if pk is not None:
            node = self.select(lambda: selectors.server_detail(self.lab, pk))
            vms = list(node.virtual_machines.all())
            under_way = selectors.vm_operations(vms)
            for machine in vms:  # the list's Status column (the prefetched objects are the ones it shows)
                machine.status_text = status.vm_status(under_way.get(machine.pk), self.sim_now)
            try:
                if vm is not None:
                    self.vm = selectors.server_vm(node, vm)
                    self.vm_op = under_way.get(self.vm.pk)
                if adapter is not None:
                    self.adapter = selectors.server_adapter(node, adapter)
            except ObjectDoesNotExist:
                raise Http404("That item is not on this server.") from None
            default = "vms" if self.vm else "network" if self.adapter else None
            ctx.update(self.tabs(("summary", "Summary"), ("network", "Network Adapters"),
                                 ("storage", "Disks"), ("vms", "Virtual Machines"), default=default))
            ctx.update(selected_vm=self.vm, selected_adapter=self.adapter, vm_operation=self.vm_op,
                       here=self.canonical_url())
        return ctx

    def canonical_url(self):
        """The selection's own URL (an action's answer is refreshed from there, not from the action's)."""
        node = self.selected
        if self.vm is not None:
            return reverse("console:server-vm", args=[self.lab.pk, node.pk, self.vm.pk])
        if self.adapter is not None:
            return reverse("console:server-adapter", args=[self.lab.pk, node.pk, self.adapter.pk])
        return reverse("console:server", args=[self.lab.pk, node.pk])

    def action_groups(self, context):
        return menus.for_servers(self.lab, context["here"], self.selected, self.vm, self.adapter, self.vm_op)
