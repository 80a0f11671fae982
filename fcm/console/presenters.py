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
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve, reverse

from fcm.engine import status
from fcm.engine.status import attach_last_operations, attach_operations
from fcm.sim import checkpoints as checkpoint_rules
from fcm.sim import replication as model
from fcm.engine.effects import replication as replication_effects

from . import menus, selectors
from .base import ListPage, close_dialog, connect_hyperv


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

    vm = adapter = share = vm_op = None

    def centre_context(self, pk=None, vm=None, adapter=None, share=None, **kwargs):
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
                if share is not None:
                    self.share = selectors.server_share(node, share)
            except ObjectDoesNotExist:
                raise Http404("That item is not on this server.") from None
            default = "vms" if self.vm else "network" if self.adapter else "shares" if self.share else None
            ctx.update(self.tabs(("summary", "Summary"), ("network", "Network Adapters"),
                                 ("storage", "Disks"), ("shares", "Shares"), ("vms", "Virtual Machines"),
                                 default=default))
            ctx.update(selected_vm=self.vm, selected_adapter=self.adapter, selected_share=self.share,
                       vm_operation=self.vm_op, here=self.canonical_url())
        return ctx

    def canonical_url(self):
        """The selection's own URL (an action's answer is refreshed from there, not from the action's)."""
        node = self.selected
        if self.vm is not None:
            return reverse("console:server-vm", args=[self.lab.pk, node.pk, self.vm.pk])
        if self.adapter is not None:
            return reverse("console:server-adapter", args=[self.lab.pk, node.pk, self.adapter.pk])
        if self.share is not None:
            return reverse("console:server-share", args=[self.lab.pk, node.pk, self.share.pk])
        return reverse("console:server", args=[self.lab.pk, node.pk])

    def action_groups(self, context):
        return menus.for_servers(self.lab, context["here"], self.selected, self.vm, self.adapter, self.vm_op,
                                 self.share)


class HyperVManagerPage(ListPage):
    """Hyper-V Manager, connected to one server at a time (the server "you are on": CredSSP moves start
    from it): its Virtual Machines, the selected VM's Checkpoints (Snapshots before 2012 R2) and its
    Summary, Memory and Networking tabs. Without a server, the snap-in's own page and Connect to Server...."""

    list_icon = "vm"
    list_title = "Virtual Machines"
    tree_item = "hyperv"
    centre_template = "console/centre/hyperv.html"
    detail_template = "console/detail/hyperv_vm.html"

    node = vm = checkpoint = vm_op = None

    def centre_context(self, node=None, pk=None, checkpoint=None, **kwargs):
        window = {"window_name": "Hyper-V Manager", "window_icon": "hyperv"}  # the snap-in's own title bar
        if node is None:
            self.centre_template = "console/centre/hyperv_root.html"
            return {"hyperv_servers": selectors.hyperv_servers(self.lab), **window}
        try:
            self.node = selectors.hyperv_server(self.lab, node)
        except ObjectDoesNotExist:
            raise Http404("Hyper-V Manager cannot connect to that server: it is not in this lab or has no "
                          "Hyper-V.") from None
        if self.node.power_state != self.node.PowerState.ON:  # a bookmark of a server that is off now
            self.centre_template = "console/centre/hyperv_root.html"
            name, self.node = self.node.name, None
            return {"hyperv_servers": selectors.hyperv_servers(self.lab), **window, "connect_error": (
                f'An error occurred while attempting to connect to server "{name}". Check that the Virtual '
                "Machine Management service is running and that you are authorized to connect to the server.")}
        connect_hyperv(self.request, self.lab, self.node)
        ctx = self.paginate(lambda q: selectors.hyperv_vms(self.node, q))
        ctx.update(hyperv_node=self.node, tree_item="hyperv-server",
                   hyperv_connection=(self.node.pk, self.node.name), **window)
        vms = ctx["rows"]
        if pk is not None:
            self.vm = self.select(lambda: selectors.hyperv_vm(self.node, pk))
            if checkpoint is not None:
                self.checkpoint = next((c for c in self.vm.checkpoints.all() if c.pk == checkpoint), None)
                if self.checkpoint is None:
                    raise Http404("That checkpoint is not this virtual machine's.")
        under_way = selectors.vm_operations(vms + ([self.vm] if self.vm else []))
        for machine in vms + ([self.vm] if self.vm else []):
            machine.status_text = status.vm_status(under_way.get(machine.pk), self.sim_now)
        if self.vm is not None:
            self.vm_op = under_way.get(self.vm.pk)
            tabs = [("summary", "Summary"), ("memory", "Memory"), ("networking", "Networking")]
            rep, side = selectors.replication_of_vm(self.vm)
            if rep is not None and not self.vm.role_id:  # a clustered VM's is its role's, in Failover Cluster Manager
                tabs.append(("replication", "Replication"))
                ctx.update(replication_health(rep, side, self.sim_now), replicated_vm=self.vm)
            ctx.update(self.tabs(*tabs))
            ctx.update(checkpoints=selectors.checkpoint_tree(self.vm), selected_checkpoint=self.checkpoint,
                       checkpoint_term=checkpoint_rules.term(self.node.version.order))
        ctx["here"] = self.canonical_url()
        return ctx

    def canonical_url(self):
        args = [self.lab.pk, self.node.pk]
        if self.checkpoint is not None:
            return reverse("console:hyperv-checkpoint", args=[*args, self.vm.pk, self.checkpoint.pk])
        if self.vm is not None:
            return reverse("console:hyperv-vm", args=[*args, self.vm.pk])
        return reverse("console:hyperv-server", args=args)

    def action_groups(self, context):
        return menus.for_hyperv(self.lab, context["here"], self.node, self.vm, self.vm_op, self.checkpoint)


def from_hyperv_manager(request):
    """The request came from a page of Hyper-V Manager (htmx names the page it was made from)."""
    path = getattr(request.htmx, "current_url_abs_path", None) if request.htmx else None
    if not path:
        return False
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return (match.url_name or "").startswith("hyperv")


def hyperv_details(request, lab, node, vm, checkpoint=None):
    """The answer to an action on a VM or checkpoint in Hyper-V Manager: its details and Actions pane, the
    dialog gone."""
    return close_dialog(HyperVManagerPage.respond(request, lab=lab, node=node, pk=vm, checkpoint=checkpoint))


def answer_for_vm(request, lab, vm, **selection):
    """The answer to an action on a VM, in the page it was taken from: Hyper-V Manager's when the request
    came from there (htmx names the page), else the Servers view's."""
    if from_hyperv_manager(request):
        response = hyperv_details(request, lab.pk, vm.host_node_id, vm.pk)
        # the VM is what is selected now (a deleted checkpoint's URL would be a 404 on reload)
        response["HX-Replace-Url"] = reverse("console:hyperv-vm", args=[lab.pk, vm.host_node_id, vm.pk])
        return response
    return close_dialog(ServersPage.respond(request, lab=lab.pk, pk=vm.host_node_id, vm=vm.pk, **selection))
