"""Servers: Hyper-V Manager's actions on a virtual machine in no cluster, and the places an administrator
fixes a server: System Properties (Join Domain...), Server Manager (Add Roles and Features), TCP/IPv4
Properties, iSCSI Initiator, Windows Update, Restart Server, and Simulate -> Power Off / Power On for a
server in no cluster. (The page itself, a server with its Hyper-V guests and adapters, is
presenters.ServersPage, served by labs.ServersView.)

Every change is one engine command (fcm/engine/commands/servers.py); a refusal comes back beside the field it
is about, and the answer to a dialog is the server's details as a row click shows them.
"""
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.html import format_html
from django.views import View

from fcm.engine.commands import faults
from fcm.engine.commands import hyperv_hosts as hyperv_commands
from fcm.engine.commands import servers as server_commands
from fcm.engine.commands import shares as share_commands
from fcm.engine.commands import switches as switch_commands
from fcm.inventory.ids import whole_number
from fcm.sim import hyperv_settings
from fcm.sim import servers as server_rules

from . import selectors
from .base import LabMixin, close_dialog, refused
from .forms import (
    FeaturesForm, Ipv4Form, IscsiForm, JoinDomainForm, MigrationSettingsForm, SharePermissionsForm, VirtualSwitchForm,
)
from .presenters import ServersPage


def server_details(request, lab, pk, **selection):
    """The answer to a dialog or action on a server: its details and Actions pane as a row click shows
    them (with the VM or adapter still selected), and the dialog gone."""
    return close_dialog(ServersPage.respond(request, lab=lab, pk=pk, **selection))


class ServerMixin(LabMixin):
    """A dialog or action on one server of the lab."""

    node = None

    def load(self, request, lab, pk):
        super().load(request, lab)
        self.node = selectors.server_in(self.lab, pk)
        if self.node is None:
            raise Http404("No such server.")
        return self.node

    def dialog(self, request, template, error="", **context):
        return super().dialog(request, template, error, node=self.node, **context)


# -- Hyper-V Manager -----------------------------------------------------------------------------------

class VmPowerView(ServerMixin, View):
    """Start, Save, Pause, Resume at once; Turn Off... and Shut Down... after Hyper-V Manager's question."""

    template = "console/dialogs/confirm.html"
    QUESTIONS = {
        "turnoff": ("Turn Off Machine", "off", "Turn Off",
                    "Do you want to turn off {vm}? Turning it off is like pulling its power cord: whatever the "
                    "guest had not written to disk is lost."),
        "shutdown": ("Shut Down Machine", "down", "Shut Down",
                     "Do you want to shut down {vm}? The guest operating system is asked to shut down cleanly."),
    }

    def vm(self, request, lab, pk, vm):
        node = self.load(request, lab, pk)
        try:
            return selectors.server_vm(node, vm)
        except ObjectDoesNotExist:
            raise Http404("No such virtual machine on this server.") from None

    def question(self, action, vm):
        if action not in self.QUESTIONS:
            raise Http404("No such question.")
        title, icon, yes, text = self.QUESTIONS[action]
        return {"title": title, "icon": icon, "yes": yes, "no": "Cancel", "question": text.format(vm=vm.name),
                "target": "#selection"}

    def get(self, request, lab, pk, vm):
        machine = self.vm(request, lab, pk, vm)
        return self.dialog(request, self.template, **self.question(request.GET.get("action", ""), machine))

    def post(self, request, lab, pk, vm):
        machine = self.vm(request, lab, pk, vm)
        action = request.GET.get("action", "")
        error = refused(lambda: server_commands.vm_power(request.user, machine, action))
        if request.GET.get("window") == "connect":  # the Virtual Machine Connection window stays; pushes redraw it
            return HttpResponse(format_html('<p class="field-error" id="vm-{}-connect-error" role="alert" '
                                            'hx-swap-oob="true">{}</p>', machine.pk, error))
        if error:
            if action in self.QUESTIONS:
                return self.dialog(request, self.template, error=error, **self.question(action, machine))
            return self.error_dialog(request, machine.name, error)
        return server_details(request, lab, pk, vm=vm)


# -- System Properties > Computer Name > Change... ----------------------------------------------------------

class JoinDomainView(ServerMixin, View):
    template = "console/dialogs/join_domain.html"
    done = "console/dialogs/restart_prompt.html"

    def show(self, request, form):
        return self.dialog(request, self.template, form=form, domains=selectors.lab_domains(self.lab))

    def get(self, request, lab, pk):
        node = self.load(request, lab, pk)
        pending = node.pending_changes or {}
        domain = pending.get("domain", node.domain.name if node.domain_id else "")
        return self.show(request, JoinDomainForm(initial={
            "member_of": "domain" if domain or "domain" not in pending else "workgroup", "domain": domain,
            "workgroup": "WORKGROUP"}))

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        form = JoinDomainForm(request.POST)
        if not form.is_valid():
            return self.show(request, form)
        joined = []
        if refused(lambda: joined.append(server_commands.join_domain(request.user, node, **form.target())), form):
            return self.show(request, form)
        welcome = f"Welcome to the {joined[0]} domain." if joined[0] else \
            f"Welcome to the {form.cleaned_data['workgroup'] or 'WORKGROUP'} workgroup."
        return self.dialog(request, self.done, title="Computer Name/Domain Changes", lines=[
            welcome, f"You must restart {node.name} to apply these changes."])


# -- Hyper-V Settings: Live Migrations, Advanced Features, Storage Migrations ---------------------------------

class MigrationSettingsView(ServerMixin, View):
    """Hyper-V Manager > Hyper-V Settings... > Live Migrations (with Advanced Features) and Storage Migrations."""

    template = "console/dialogs/migration_settings.html"

    def load(self, request, lab, pk):
        node = super().load(request, lab, pk)
        if not node.hyperv_installed or not hyperv_settings.has_migration_settings(node.version.order):
            raise Http404("This server's Hyper-V Settings have no Live Migrations page (Windows Server 2012 and "
                          "later, with the Hyper-V role).")
        return node

    def show(self, request, form, settings):
        order = self.node.version.order
        return self.dialog(request, self.template, form=form, performance_options=hyperv_settings.performance_options(
            order), powershell=hyperv_settings.powershell(self.node.name, version_order=order, **settings))

    @staticmethod
    def shown(settings, node):
        """The settings the PowerShell line shows: as typed, with what is not a number yet left as it was."""
        subnets, _ = hyperv_settings.migration_networks(settings["networks"])
        return {**{k: v for k, v in settings.items() if k != "networks"}, "subnets": subnets or [],
                "simultaneous": settings["simultaneous"] or node.max_vm_migrations,
                "storage_simultaneous": settings["storage_simultaneous"] or node.max_storage_migrations}

    def get(self, request, lab, pk):
        node = self.load(request, lab, pk)
        form = MigrationSettingsForm.of(node)
        return self.show(request, form, self.shown(form.initial_settings(), node))

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        form = MigrationSettingsForm(request.POST)
        if not form.is_valid():
            return self.show(request, form, self.shown(MigrationSettingsForm.of(node).initial_settings(), node))
        settings = form.settings()
        if refused(lambda: hyperv_commands.set_migration_settings(request.user, node, **settings), form):
            return self.show(request, form, self.shown(settings, node))
        return server_details(request, lab, pk)


# -- Server Manager: Add Roles and Features (Add Roles / Add Features before 2012) ---------------------------

class FeaturesView(ServerMixin, View):
    template = "console/dialogs/features.html"
    done = "console/dialogs/restart_prompt.html"

    def kind(self, request):
        """2012+: one wizard for both; 2008 and 2008 R2: Add Roles (Hyper-V) or Add Features (Failover
        Clustering)."""
        if self.node.version.order >= 3:
            return ""
        return "roles" if request.GET.get("kind") == "roles" else "features"

    def title(self, kind):
        return {"": "Add Roles and Features Wizard", "roles": "Add Roles Wizard",
                "features": "Add Features Wizard"}[kind]

    def form(self, kind, data=None):
        return FeaturesForm(data, node=self.node, kind=kind)

    def show(self, request, kind, form):
        return self.dialog(request, self.template, form=form, title=self.title(kind), kind=kind,
                           form_url=request.get_full_path())

    def get(self, request, lab, pk):
        self.load(request, lab, pk)
        kind = self.kind(request)
        return self.show(request, kind, self.form(kind))

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        kind = self.kind(request)
        form = self.form(kind, request.POST)
        if not form.is_valid():
            return self.show(request, kind, form)
        result = []
        if refused(lambda: result.append(server_commands.install_features(
                request.user, node, form.cleaned_data["features"])), form, "features"):
            return self.show(request, kind, form)
        now, later = result[0]
        lines = [f"Installation succeeded on {node.fqdn}: {', '.join(now + later)}."]
        if later and form.cleaned_data.get("restart"):
            error = refused(lambda: server_commands.restart_server(request.user, node))
            if not error:
                return server_details(request, lab, pk)
            lines.append(f"{', '.join(later)} waits for a restart, which could not start: {error}")
            later = []
        elif later:
            lines.append(f"A restart is pending: {', '.join(later)} is configured when {node.name} restarts.")
        return self.dialog(request, self.done, title=self.title(kind), lines=lines, restart=bool(later))


# -- Internet Protocol Version 4 (TCP/IPv4) Properties -----------------------------------------------------

class Ipv4View(ServerMixin, View):
    template = "console/dialogs/ipv4.html"

    def adapter(self, request, lab, pk, adapter):
        node = self.load(request, lab, pk)
        try:
            return selectors.server_adapter(node, adapter)
        except ObjectDoesNotExist:
            raise Http404("No such adapter on this server.") from None

    def show(self, request, nic, form):
        return self.dialog(request, self.template, form=form, adapter=nic)

    def get(self, request, lab, pk, adapter):
        nic = self.adapter(request, lab, pk, adapter)
        static = bool(nic.ip_address) and not nic.dhcp
        return self.show(request, nic, Ipv4Form(initial={
            "mode": "static" if static else "automatic", "ip": nic.ip_address if static else "",
            "mask": server_rules.mask_of_prefix(nic.prefix_length) if static else "",
            "gateway": nic.gateway if static else ""}))

    def post(self, request, lab, pk, adapter):
        nic = self.adapter(request, lab, pk, adapter)
        form = Ipv4Form(request.POST)
        if not form.is_valid():
            return self.show(request, nic, form)
        if refused(lambda: server_commands.set_ipv4(request.user, nic, **form.settings()), form, "ip"):
            return self.show(request, nic, form)
        return server_details(request, lab, pk, adapter=adapter)


# -- Hyper-V Manager > Virtual Switch Manager... ------------------------------------------------------------

class SwitchManagerView(ServerMixin, View):
    """The host's virtual switches; Create Virtual Switch and Remove, each applied at once (the dialog stays)."""

    template = "console/dialogs/switch_manager.html"

    def load(self, request, lab, pk):
        node = super().load(request, lab, pk)
        if not node.hyperv_installed:
            raise Http404("This server has no Hyper-V role: it has no virtual switches.")
        return node

    def show(self, request, form, done="", error=""):
        return self.dialog(request, self.template, error, form=form, done=done,
                           switches=self.node.virtual_switches.select_related("adapter").order_by("name"))

    def get(self, request, lab, pk):
        node = self.load(request, lab, pk)
        return self.show(request, VirtualSwitchForm(node=node))

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        if "remove" in request.POST:
            switch = node.virtual_switches.filter(pk=whole_number(request.POST.get("remove")) or 0).first()
            if switch is None:
                return self.show(request, VirtualSwitchForm(node=node), error="That virtual switch no longer exists.")
            name = switch.name
            error = refused(lambda: switch_commands.remove_switch(request.user, node, switch))
            return self.show(request, VirtualSwitchForm(node=node), error=error,
                             done="" if error else f"The virtual switch '{name}' was removed.")
        form = VirtualSwitchForm(request.POST, node=node)
        if not form.is_valid():
            return self.show(request, form)
        data = form.cleaned_data
        if refused(lambda: switch_commands.create_switch(request.user, node, data["name"], data["kind"],
                                                         data["adapter"]), form, "name"):
            return self.show(request, form)
        return self.show(request, VirtualSwitchForm(node=node), done=f"The virtual switch '{data['name'].strip()}' "
                         "was created.")


# -- Server Manager > File and Storage Services > Shares > Properties ---------------------------------------

class SharePropertiesView(ServerMixin, View):
    """A share's Properties: what it is (General) and who has Full Control of it and its folder (Permissions)."""

    template = "console/dialogs/share_properties.html"

    def share(self, request, lab, pk, share):
        node = self.load(request, lab, pk)
        try:
            return selectors.server_share(node, share)
        except ObjectDoesNotExist:
            raise Http404("No such share on this server.") from None

    def show(self, request, share, form):
        checked = [str(pk) for pk in form["full_access"].value() or []]
        return self.dialog(request, self.template, form=form, share=share, checked=checked)

    def get(self, request, lab, pk, share):
        found = self.share(request, lab, pk, share)
        return self.show(request, found, SharePermissionsForm(
            accounts=share_commands.accounts(found), initial={"full_access": list(found.full_access.all())}))

    def post(self, request, lab, pk, share):
        found = self.share(request, lab, pk, share)
        form = SharePermissionsForm(request.POST, accounts=share_commands.accounts(found))
        if not form.is_valid():
            return self.show(request, found, form)
        if refused(lambda: share_commands.set_full_access(request.user, found, list(form.cleaned_data["full_access"])),
                   form, "full_access"):
            return self.show(request, found, form)
        return server_details(request, lab, pk, share=share)


# -- iSCSI Initiator -----------------------------------------------------------------------------------

class IscsiView(ServerMixin, View):
    """iSCSI Initiator Properties > Targets: the discovered targets; Connect or Disconnect the one chosen."""

    template = "console/dialogs/iscsi.html"

    def show(self, request, form, done=""):
        return self.dialog(request, self.template, form=form, targets=selectors.iscsi_targets(self.node), done=done)

    def get(self, request, lab, pk):
        self.load(request, lab, pk)
        return self.show(request, IscsiForm(node=self.node))

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        form = IscsiForm(request.POST, node=node)
        if not form.is_valid():
            return self.show(request, form)
        lun, action = form.cleaned_data["target"], form.cleaned_data["action"]
        command = server_commands.connect_target if action == "connect" else server_commands.disconnect_target
        if refused(lambda: command(request.user, node, lun), form, "target"):
            return self.show(request, form)
        iqn = server_rules.target_iqn(lun.name)
        done = f"{'Connected to' if action == 'connect' else 'Disconnected from'} {iqn}."
        return self.show(request, IscsiForm(node=node, initial={"target": lun.pk}), done)


# -- Windows Update -----------------------------------------------------------------------------------

class UpdatesView(ServerMixin, View):
    template = "console/dialogs/updates.html"

    def show(self, request, error="", installed=""):
        latest, behind = selectors.available_updates(self.node, self.lab.sim_now())
        return self.dialog(request, self.template, error=error, latest=latest, behind=behind, installed=installed,
                           pending=(self.node.pending_changes or {}).get("updates", ""))

    def get(self, request, lab, pk):
        self.load(request, lab, pk)
        return self.show(request)

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        installed = []
        error = refused(lambda: installed.append(server_commands.install_updates(request.user, node)))
        self.node = selectors.server_in(self.lab, pk)
        return self.show(request, error=error, installed=installed[0] if installed else "")


# -- Restart Server, and Simulate for a server in no cluster ------------------------------------------------

class RestartView(ServerMixin, View):
    template = "console/dialogs/confirm.html"

    def question(self):
        pending = self.node.pending_changes or {}
        waiting = f" What waits for a restart is applied: {server_rules.describe_pending(pending)}." if pending else ""
        return {"title": "Restart Server", "icon": "refresh", "yes": "Restart", "no": "Cancel",
                "target": "#selection",
                "question": f"Do you want to restart {self.node.name}? It is unavailable until it has booted."
                            + waiting}

    def get(self, request, lab, pk):
        self.load(request, lab, pk)
        return self.dialog(request, self.template, **self.question())

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        error = refused(lambda: server_commands.restart_server(request.user, node))
        if error:
            return self.dialog(request, self.template, error=error, **self.question())
        return server_details(request, lab, pk)


class ServerFaultView(ServerMixin, View):
    """Simulate -> Power Off (crash) / Power On on a server in no cluster (a node's are in its cluster)."""

    def post(self, request, lab, pk):
        node = self.load(request, lab, pk)
        if not self.lab.may_simulate(request.user):
            raise PermissionDenied("Only the lab's owner can simulate failures.")
        action = request.GET.get("action", "")
        handlers = {"power-off": lambda: faults.crash_node(request.user, node),
                    "power-on": lambda: faults.restart_node(request.user, node)}
        if action not in handlers or node.cluster_id:
            raise Http404("No such action.")
        error = refused(handlers[action])
        if error:
            return self.error_dialog(request, node.name, error)
        return server_details(request, lab, pk)
