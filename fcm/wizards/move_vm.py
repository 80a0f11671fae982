"""Hyper-V Manager's Move Wizard for a virtual machine in no cluster (Move... in its Actions).

Pages as the product has them (Windows Server 2012 and later): Before You Begin, Choose Move Type (Move the
virtual machine / Move the virtual machine's storage), Specify Destination Computer, Choose Move Options
(Move the virtual machine's data to a single location / Move only the virtual machine: its files stay on
their SMB 3.0 share, an SMB live migration), Choose a new location for virtual machine (not for Move only
the virtual machine), Completing Move Wizard (its summary); then the move's progress and Summary.
Each page checks what the product checks there (the engine command's own rules:
fcm/engine/commands/hyperv_moves.py), so a refusal is shown on the page whose field it is about, and Finish
queues the move once.
"""
from django import forms

from fcm.engine.commands import hyperv_moves
from fcm.engine.errors import ServerError
from fcm.inventory.models import Node, VirtualMachine

from . import signed_in
from .base import Step, Wizard

MOVE_VM, MOVE_STORAGE = "vm", "storage"
SINGLE, ONLY_VM = "single", "only-vm"


class MoveTypeForm(forms.Form):
    move_type = forms.ChoiceField(widget=forms.RadioSelect, label="Choose Move Type", choices=[
        (MOVE_VM, "Move the virtual machine"), (MOVE_STORAGE, "Move the virtual machine's storage")])


class DestinationForm(forms.Form):
    name = forms.CharField(max_length=255, label="Name:",
                           error_messages={"required": "Specify the name of the destination computer."})

    def __init__(self, *args, wizard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wizard = wizard

    def clean_name(self):
        name = self.cleaned_data["name"].strip().split(".")[0]
        node = Node.objects.filter(lab=self.wizard.lab, name__iexact=name).first()
        if node is None:
            raise forms.ValidationError(f"The server name '{name}' could not be resolved. Check the name and that "
                                        "the server can be reached from this computer.")
        message, _, _ = hyperv_moves.vm_move_problem(self.wizard.vm, node, None, self.wizard.on_source)
        if message:
            raise forms.ValidationError(message)
        return node.name


class MoveOptionsForm(forms.Form):
    option = forms.ChoiceField(widget=forms.RadioSelect, label="Choose Move Options", choices=[
        (SINGLE, "Move the virtual machine's data to a single location"),
        (ONLY_VM, "Move only the virtual machine")])

    def __init__(self, *args, wizard=None, draft=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wizard, self.draft = wizard, draft

    def clean_option(self):
        option = self.cleaned_data["option"]
        if option == ONLY_VM:
            target = self.wizard.destination(self.draft)
            problem = hyperv_moves.smb_move_problem(self.wizard.vm, target) if target else \
                "Specify the destination computer again: it is no longer in this lab."
            if problem:
                raise forms.ValidationError(problem)
        return option


class LocationForm(forms.Form):
    folder = forms.CharField(max_length=240, required=False, label="Folder:")

    def __init__(self, *args, wizard=None, draft=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wizard, self.draft = wizard, draft

    def clean_folder(self):
        folder = self.cleaned_data["folder"].strip()
        vm = self.wizard.vm
        if self.wizard.move_type(self.draft) == MOVE_STORAGE:
            message, _, _ = hyperv_moves.vm_storage_move_problem(vm, folder)
        else:
            message, _, _ = hyperv_moves.vm_move_problem(vm, self.wizard.destination(self.draft), folder,
                                                         self.wizard.on_source)
        if message:
            raise forms.ValidationError(message)
        return folder


def _moves_vm(wizard, draft):
    return wizard.move_type(draft) == MOVE_VM


def _moves_data(wizard, draft):
    """Choose a new location: for a storage move, or a move that takes the VM's data along."""
    return not _moves_vm(wizard, draft) or not wizard.only_vm(draft)


class MoveVmWizard(Wizard):
    hyperv_cmdlets = True
    kind = "move-vm"
    icon = "vm"
    needs_subject = True
    confirm_label = "Finish"
    steps = [
        Step("before", "Before You Begin", "wizards/move/before.html"),
        Step("type", "Choose Move Type", "wizards/move/type.html", MoveTypeForm),
        Step("destination", "Specify Destination Computer", "wizards/move/destination.html", DestinationForm,
             show=_moves_vm),
        Step("options", "Choose Move Options", "wizards/move/options.html", MoveOptionsForm, show=_moves_vm),
        Step("location", "Choose a new location for virtual machine", "wizards/move/location.html", LocationForm,
             show=_moves_data),
        Step("confirmation", "Completing Move Wizard", "wizards/move/summary.html"),
        Step("progress", "Moving", "wizards/op_progress.html"),
    ]

    @property
    def vm(self):
        if not self.subject:
            return None
        return VirtualMachine.objects.filter(lab=self.lab, pk=self.subject, role__isnull=True) \
            .select_related("host_node", "configuration_disk", "role").first()

    @property
    def on_source(self):
        """The user works on the VM's host (Hyper-V Manager connected to it): CredSSP moves start only there."""
        vm = self.vm
        return vm is not None and signed_in.is_on(self.session, self.lab, vm.host_node_id)

    @property
    def title(self):
        vm = self.vm
        return f'Move "{vm.name}" Wizard' if vm else "Move Wizard"

    def version_order(self, draft):
        vm = self.vm
        return vm.host_node.version.order if vm else 3

    def move_type(self, draft):
        return ((draft.data.get("type") or {}).get("move_type") if draft else None) or MOVE_VM

    def only_vm(self, draft):
        """Move only the virtual machine: its files stay on their SMB share (an SMB live migration)."""
        return self.move_type(draft) == MOVE_VM and \
            ((draft.data.get("options") or {}).get("option") if draft else None) == ONLY_VM

    def destination(self, draft):
        name = ((draft.data.get("destination") or {}).get("name")) if draft else None
        return Node.objects.filter(lab=self.lab, name=name).first() if name else None

    def form_kwargs(self, draft, step):
        if step.key == "destination":
            return {"wizard": self}
        if step.key in ("options", "location"):
            return {"wizard": self, "draft": draft}
        return {}

    def initial(self, draft, step):
        vm = self.vm
        if step.key == "type":
            return {"move_type": MOVE_VM}
        if step.key == "options":
            return {"option": SINGLE}
        if step.key == "location" and vm:
            return {"folder": vm.configuration_path}
        return {}

    def folder(self, draft):
        return (draft.data.get("location") or {}).get("folder", "") if draft else ""

    def context(self, draft, step):
        vm = self.vm
        ctx = {"vm": vm, "running_title": "Moving", "move_type": self.move_type(draft),
               "destination": self.destination(draft), "folder": self.folder(draft),
               "size_bytes": vm.storage_bytes() if vm else 0,
               "servers": Node.objects.filter(lab=self.lab, hyperv_installed=True).exclude(
                   pk=vm.host_node_id if vm else None).order_by("name") if step.key == "destination" else ()}
        ctx["only_vm"] = self.only_vm(draft)
        if vm and draft and step.key in ("confirmation", "progress") and ctx["only_vm"]:
            ctx["powershell"] = f"Move-VM -Name {vm.name} -ComputerName {vm.host_node.name} -DestinationHost " \
                                f"{ctx['destination'].name}" if ctx["destination"] else ""
        elif vm and draft and step.key in ("confirmation", "progress") and "location" in draft.data:
            if self.move_type(draft) == MOVE_STORAGE:
                ctx["powershell"] = (f'Move-VMStorage -VMName {vm.name} -ComputerName {vm.host_node.name} '
                                     f'-DestinationStoragePath "{self.folder(draft)}"')
            else:
                ctx["powershell"] = (f'Move-VM -Name {vm.name} -ComputerName {vm.host_node.name} -DestinationHost '
                                     f'{ctx["destination"].name} -IncludeStorage -DestinationStoragePath '
                                     f'"{self.folder(draft)}"')
        return ctx

    def start_operation(self, draft):
        if self.move_type(draft) == MOVE_STORAGE:
            return hyperv_moves.request_vm_storage_move(self.user, self.vm, self.folder(draft))
        target = self.destination(draft)
        if target is None:
            raise ServerError("Specify the destination computer again: it is no longer in this lab.")
        return hyperv_moves.request_vm_move(self.user, self.vm, target, self.folder(draft), self.on_source,
                                            only_vm=self.only_vm(draft))
