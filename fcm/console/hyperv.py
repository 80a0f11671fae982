"""Hyper-V Manager: Connect to Server... and Remove Server, and the checkpoints of a VM (Snapshots before
Windows Server 2012 R2): Checkpoint, Apply... / Revert..., Rename..., Delete Checkpoint... and Delete
Checkpoint Subtree....

The page (a server's Virtual Machines, the selected VM's Checkpoints and tabs) is presenters.HyperVManagerPage;
each change is one engine command (fcm/engine/commands/checkpoints.py) and a refusal is shown where the user
acted. Checkpoint actions answer in the page they were taken from (Hyper-V Manager, or the Servers view).
"""
from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from fcm.engine.commands import checkpoints as commands
from fcm.engine.commands import servers as server_commands
from fcm.engine.commands import vm_settings
from fcm.sim import checkpoints as rules

from . import selectors
from .base import LabMixin, connect_hyperv, disconnect_hyperv, refused
from .forms import VmSettingsForm
from .presenters import answer_for_vm, from_hyperv_manager


class ConnectForm(forms.Form):
    computer = forms.CharField(label="Another computer", max_length=63,
                               error_messages={"required": "Type the name of the computer to connect to."})


class ConnectView(LabMixin, View):
    """Connect to Server...: the Select Computer dialog. Hyper-V Manager then shows that server, the one
    "you are on" for the moves it starts (CredSSP)."""

    template = "console/dialogs/hyperv_connect.html"

    def show(self, request, form):
        return self.dialog(request, self.template, form=form, servers=selectors.hyperv_servers(self.lab))

    def get(self, request, lab):
        self.load(request, lab)
        return self.show(request, ConnectForm())

    def post(self, request, lab):
        self.load(request, lab)
        form = ConnectForm(request.POST)
        if not form.is_valid():
            return self.show(request, form)
        name = form.cleaned_data["computer"].strip()
        short = name.split(".")[0]
        node = next((n for n in self.lab.nodes.all() if n.name.lower() == short.lower()), None)
        if node is None:
            form.add_error("computer", f'The computer "{name}" could not be resolved. Make sure you typed the '
                                       f'machine name correctly and that you have network access.')
            return self.show(request, form)
        if not node.hyperv_installed or node.power_state != node.PowerState.ON:
            form.add_error("computer", f'An error occurred while attempting to connect to server "{node.name}". '
                                       f'Check that the Virtual Machine Management service is running and that you '
                                       f'are authorized to connect to the server.')
            return self.show(request, form)
        connect_hyperv(request, self.lab, node)
        return HttpResponseClientRedirect(reverse("console:hyperv-server", args=[self.lab.pk, node.pk]))


class RemoveServerView(LabMixin, View):
    """Remove Server: Hyper-V Manager forgets the server it was connected to."""

    def post(self, request, lab):
        self.load(request, lab)
        disconnect_hyperv(request, self.lab)
        return HttpResponseClientRedirect(reverse("console:hyperv", args=[self.lab.pk]))


class VmMixin(LabMixin):
    """An action on a virtual machine of a server of the lab (and one of its checkpoints)."""

    vm = checkpoint = None

    def load(self, request, lab, pk, vm, checkpoint=None):
        super().load(request, lab)
        node = selectors.server_in(self.lab, pk)
        if node is None:
            raise Http404("No such server.")
        try:
            self.vm = selectors.hyperv_vm(node, vm)
        except ObjectDoesNotExist:
            raise Http404("No such virtual machine on this server.") from None
        if checkpoint is not None:
            self.checkpoint = next((c for c in self.vm.checkpoints.all() if c.pk == checkpoint), None)
            if self.checkpoint is None:
                raise Http404("That checkpoint no longer exists.")
        return self.vm

    @property
    def term(self):
        return rules.term(self.vm.host_node.version.order)

    def answer(self, request):
        return answer_for_vm(request, self.lab, self.vm)


class TakeCheckpointView(VmMixin, View):
    """Checkpoint (Snapshot): taken at once, named after the VM and the time; its progress is in Status."""

    def post(self, request, lab, pk, vm):
        self.load(request, lab, pk, vm)
        error = refused(lambda: commands.take_checkpoint(request.user, self.vm))
        if error:
            return self.error_dialog(request, self.term, error)
        return self.answer(request)


class ApplyCheckpointView(VmMixin, View):
    """Apply... (Revert... for the checkpoint "Now" grew from): Take Checkpoint and Apply, Apply, Cancel."""

    template = "console/dialogs/checkpoint_apply.html"

    def context(self):
        term, name = self.term, self.checkpoint.name
        if self.request.GET.get("revert"):
            return {"title": "Revert Virtual Machine", "revert": True,
                    "question": f"Are you sure you want to revert {self.vm.name}? The current state of the virtual "
                                f"machine will be lost."}
        return {"title": f"Apply {term}", "take": f"Take {term} and Apply",
                "question": f'Are you sure you want to apply the selected {term.lower()} "{name}"? Your current '
                            f'virtual machine state will be lost.'}

    def get(self, request, lab, pk, vm, checkpoint):
        self.load(request, lab, pk, vm, checkpoint)
        return self.dialog(request, self.template, vm=self.vm, checkpoint=self.checkpoint, **self.context())

    def post(self, request, lab, pk, vm, checkpoint):
        self.load(request, lab, pk, vm, checkpoint)
        take_first = request.POST.get("choice") == "take"
        error = refused(lambda: commands.apply_checkpoint(request.user, self.checkpoint, take_first=take_first))
        if error:
            return self.dialog(request, self.template, error=error, vm=self.vm, checkpoint=self.checkpoint,
                               **self.context())
        return self.answer(request)


class RenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=rules.MAX_NAME + 50, strip=False, required=False)


class RenameCheckpointView(VmMixin, View):
    template = "console/dialogs/checkpoint_rename.html"

    def get(self, request, lab, pk, vm, checkpoint):
        self.load(request, lab, pk, vm, checkpoint)
        form = RenameForm(initial={"name": self.checkpoint.name})
        return self.dialog(request, self.template, form=form, vm=self.vm, checkpoint=self.checkpoint, term=self.term)

    def post(self, request, lab, pk, vm, checkpoint):
        self.load(request, lab, pk, vm, checkpoint)
        form = RenameForm(request.POST)
        if form.is_valid():
            refused(lambda: commands.rename_checkpoint(request.user, self.checkpoint, form.cleaned_data["name"]),
                    form, "name")
        if not form.is_valid() or form.errors:
            return self.dialog(request, self.template, form=form, vm=self.vm, checkpoint=self.checkpoint,
                               term=self.term)
        return answer_for_vm(request, self.lab, self.vm)


class DeleteCheckpointView(VmMixin, View):
    """Delete Checkpoint... and Delete Checkpoint Subtree...: Hyper-V Manager's question, then the merge."""

    template = "console/dialogs/confirm.html"

    def context(self):
        term, subtree = self.term, bool(self.request.GET.get("subtree"))
        what = f"{term.lower()} subtree" if subtree else f"selected {term.lower()}"
        return {"title": f"Delete {term}{' Subtree' if subtree else ''}", "icon": "failed", "yes": "Delete",
                "no": "Cancel", "target": "#selection",
                "question": f'Are you sure you want to delete the {what} "{self.checkpoint.name}"?'}

    def get(self, request, lab, pk, vm, checkpoint):
        self.load(request, lab, pk, vm, checkpoint)
        return self.dialog(request, self.template, **self.context())

    def post(self, request, lab, pk, vm, checkpoint):
        self.load(request, lab, pk, vm, checkpoint)
        subtree = bool(request.GET.get("subtree"))
        error = refused(lambda: commands.delete_checkpoint(request.user, self.checkpoint, subtree=subtree))
        if error:
            return self.dialog(request, self.template, error=error, **self.context())
        return self.answer(request)


class VmSettingsView(VmMixin, View):
    """Settings... of a VM: Memory (startup RAM, Dynamic Memory), Processor and Network Adapter, applied on OK;
    its hard drives listed as they are."""

    template = "console/dialogs/vm_settings.html"

    def show(self, request, form):
        return self.dialog(request, self.template, form=form, vm=self.vm,
                           dynamic_ok=vm_settings.dynamic_memory_available(self.vm.host_node))

    def get(self, request, lab, pk, vm):
        machine = self.load(request, lab, pk, vm)
        return self.show(request, VmSettingsForm(vm=machine, initial={
            "memory_mb": machine.memory_mb, "dynamic_memory": machine.dynamic_memory, "vcpus": machine.vcpus,
            "switch": machine.virtual_switch}))

    def post(self, request, lab, pk, vm):
        machine = self.load(request, lab, pk, vm)
        form = VmSettingsForm(request.POST, vm=machine)
        if not form.is_valid():
            return self.show(request, form)
        if refused(lambda: vm_settings.apply_settings(request.user, machine, **form.cleaned_data), form, "memory_mb"):
            return self.show(request, form)
        return self.answer(request)


class VmConnectView(VmMixin, View):
    """Connect...: the Virtual Machine Connection window, the guest's screen as its state has it (pushed as the
    state changes) and the toolbar's power actions, taken without leaving the window."""

    template = "console/dialogs/vm_connect.html"
    CONTROLS = (("start", "Start", "up"), ("turnoff", "Turn Off", "off"), ("shutdown", "Shut Down", "down"),
                ("save", "Save", "paused"), ("pause", "Pause", "paused"), ("resume", "Resume", "up"))

    def get(self, request, lab, pk, vm):
        machine = self.load(request, lab, pk, vm)
        return self.dialog(request, self.template, vm=machine, controls=self.CONTROLS)


class DeleteVmView(VmMixin, View):
    """Delete...: Hyper-V Manager's question, then the VM is gone (its virtual hard disks stay); the page shows
    its server again."""

    template = "console/dialogs/confirm.html"

    def question(self):
        return {"title": "Delete Selected Virtual Machines", "icon": "failed", "yes": "Delete", "no": "Cancel",
                "question": f"Are you sure you want to delete the selected virtual machine '{self.vm.name}'? Its "
                            "virtual hard disks are not deleted."}

    def get(self, request, lab, pk, vm):
        self.load(request, lab, pk, vm)
        return self.dialog(request, self.template, **self.question())

    def post(self, request, lab, pk, vm):
        machine = self.load(request, lab, pk, vm)
        error = refused(lambda: server_commands.delete_vm(request.user, machine))
        if error:
            return self.dialog(request, self.template, error=error, **self.question())
        page = "console:hyperv-server" if from_hyperv_manager(request) else "console:server"
        return HttpResponseClientRedirect(reverse(page, args=[self.lab.pk, machine.host_node_id]))
