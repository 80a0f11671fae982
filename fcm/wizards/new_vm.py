"""New Virtual Machine (the Hyper-V wizard): from a cluster's Roles (Select Node first), or from Hyper-V
Manager connected to a server in no cluster (New > Virtual Machine...: the VM is that server's)."""
from django import forms

from fcm.engine.commands.vms import start_new_vm
from fcm.engine.effects.vms import resolve_location
from fcm.engine.errors import VmError
from fcm.inventory.models import Node, VirtualMachine, VirtualSwitch
from fcm.sim.placement import HOST_RESERVE_MB

from .base import Step, Wizard


class NodeForm(forms.Form):
    node = forms.TypedChoiceField(coerce=int, label="Select the target cluster node",
                                  error_messages={"required": "Select the node that will host the virtual machine."})

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [(n.pk, n.name) for n in Node.objects.filter(cluster=cluster, state=Node.State.UP)
                                       .order_by("name")]


class NameForm(forms.Form):
    name = forms.CharField(max_length=100)
    other_location = forms.BooleanField(required=False, label="Store the virtual machine in a different location")
    location = forms.CharField(required=False, max_length=260, label="Location")

    def __init__(self, *args, node=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Type a name for the virtual machine.")
        if VirtualMachine.objects.filter(lab_id=self.node.lab_id, name__iexact=name).exists():
            raise forms.ValidationError(f"A virtual machine named {name} already exists.")
        return name

    def clean(self):
        data = super().clean()
        folder = (data.get("location") or "").strip() if data.get("other_location") else \
            r"C:\ProgramData\Microsoft\Windows\Hyper-V"
        if data.get("name"):
            data["path"] = folder.rstrip("\\") + "\\" + data["name"]
            try:
                resolve_location(self.node, folder)
            except VmError as exc:
                self.add_error("location", str(exc))
        return data


class GenerationForm(forms.Form):
    """Specify Generation (2012 R2 and later): Generation 1 keeps the legacy BIOS hardware; Generation 2 is
    UEFI firmware, SCSI boot and VHDX only, for Windows Server 2012 and later guests."""

    generation = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, initial=1, label="Generation",
                                        choices=[(1, "Generation 1"), (2, "Generation 2")],
                                        error_messages={"required": "Choose the generation of this virtual machine."})


class MemoryForm(forms.Form):
    memory_mb = forms.IntegerField(min_value=32, label="Startup memory (MB)")
    dynamic_memory = forms.BooleanField(required=False, label="Use Dynamic Memory for this virtual machine")

    def __init__(self, *args, node=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node

    def clean_memory_mb(self):
        mb = self.cleaned_data["memory_mb"]
        limit = self.node.memory_mb - HOST_RESERVE_MB
        if mb > limit:
            raise forms.ValidationError(f"{self.node.name} has {self.node.memory_mb} MB of memory; a virtual machine "
                                        f"can have at most {limit} MB there.")
        return mb


class NetworkForm(forms.Form):
    switch = forms.ChoiceField(required=False, label="Connection")

    def __init__(self, *args, node=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["switch"].choices = [("", "Not Connected")] + [
            (s, s) for s in VirtualSwitch.objects.filter(node=node).values_list("name", flat=True)]


class DiskForm(forms.Form):
    vhd = forms.ChoiceField(widget=forms.RadioSelect, initial="create", choices=[
        ("create", "Create a virtual hard disk"), ("existing", "Use an existing virtual hard disk"),
        ("later", "Attach a virtual hard disk later")])
    vhd_path = forms.CharField(required=False, max_length=260, label="Location")
    vhd_size_gb = forms.IntegerField(required=False, min_value=1, max_value=65536, label="Size (GB)")

    def __init__(self, *args, node=None, generation=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.node, self.generation = node, generation

    def clean(self):
        data = super().clean()
        if data.get("vhd") in ("create", "existing"):
            path = (data.get("vhd_path") or "").strip()
            if not path.lower().endswith((".vhd", ".vhdx")):
                self.add_error("vhd_path", "Type the full path of a .vhd or .vhdx file.")
            elif self.generation == 2 and not path.lower().endswith(".vhdx"):
                self.add_error("vhd_path", "A generation 2 virtual machine starts only from a .vhdx virtual hard "
                                           "disk.")
            else:
                try:
                    resolve_location(self.node, path.rsplit("\\", 1)[0])
                except VmError as exc:
                    self.add_error("vhd_path", str(exc))
            if data.get("vhd") == "create" and not data.get("vhd_size_gb"):
                self.add_error("vhd_size_gb", "Type the size of the new virtual hard disk.")
            elif path.lower().endswith(".vhd") and (data.get("vhd_size_gb") or 0) > 2040:
                self.add_error("vhd_size_gb", "A VHD file holds at most 2040 GB; use .vhdx for more.")
        return data


class InstallForm(forms.Form):
    install = forms.ChoiceField(widget=forms.RadioSelect, initial="later", choices=[
        ("later", "Install an operating system later"),
        ("image", "Install an operating system from a bootable image file")])
    image = forms.CharField(required=False, max_length=260, label="Image file (.iso)")

    def clean(self):
        data = super().clean()
        if data.get("install") == "image" and not (data.get("image") or "").lower().endswith(".iso"):
            self.add_error("image", "Type the path of an .iso image file.")
        return data


class NewVmWizard(Wizard):
    hyperv_cmdlets = True
    kind = "new-vm"
    title = "New Virtual Machine Wizard"
    icon = "vm"
    confirm_label = "Finish"
    steps = [
        Step("node", "Select Node", "wizards/newvm/node.html", NodeForm, show=lambda wizard, draft: wizard.cluster),
        Step("name", "Specify Name and Location", "wizards/newvm/name.html", NameForm),
        Step("generation", "Specify Generation", "wizards/newvm/generation.html", GenerationForm,
             show=lambda wizard, draft: wizard.has_generations(draft)),
        Step("memory", "Assign Memory", "wizards/newvm/memory.html", MemoryForm),
        Step("network", "Configure Networking", "wizards/newvm/network.html", NetworkForm),
        Step("disk", "Connect Virtual Hard Disk", "wizards/newvm/disk.html", DiskForm),
        Step("install", "Installation Options", "wizards/newvm/install.html", InstallForm),
        Step("confirmation", "Summary", "wizards/newvm/summary.html"),
        Step("progress", "Creating", "wizards/op_progress.html"),
    ]

    def node(self, draft):
        if self.cluster is None:  # Hyper-V Manager's server (the wizard's subject), in no cluster
            return Node.objects.filter(lab=self.lab, pk=self.subject, cluster__isnull=True, hyperv_installed=True) \
                .first() if self.subject else None
        pk = ((draft.data.get("node") or {}).get("node")) if draft else None
        return Node.objects.filter(cluster=self.cluster, pk=pk).first() or \
            Node.objects.filter(cluster=self.cluster, state=Node.State.UP).order_by("name").first()

    def has_generations(self, draft):
        """Generation 2 virtual machines came with Windows Server 2012 R2."""
        node = self.node(draft)
        return node is not None and node.version.order >= 4

    def generation(self, draft):
        if not draft or not self.has_generations(draft):
            return 1
        return int((draft.data.get("generation") or {}).get("generation") or 1)

    def available(self):
        """From a cluster, or for a Hyper-V server in no cluster."""
        return self.cluster is not None or self.node(None) is not None

    def form_kwargs(self, draft, step):
        if step.key == "node":
            return {"cluster": self.cluster}
        if step.key == "disk":
            return {"node": self.node(draft), "generation": self.generation(draft)}
        return {"node": self.node(draft)} if step.key in ("name", "memory", "network") else {}

    def initial(self, draft, step):
        if step.key == "memory":
            return {"memory_mb": 1024}
        if step.key == "generation":
            return {"generation": 1}
        if step.key == "disk" and draft:
            name = (draft.data.get("name") or {})
            folder = name.get("path") or ""
            return {"vhd": "create", "vhd_size_gb": 40,
                    "vhd_path": f"{folder}\\{name.get('name', 'New Virtual Machine')}.vhdx" if folder else ""}
        return {}

    def spec(self, draft):
        d = draft.data
        node = self.node(draft)
        return {"name": d["name"]["name"], "location": d["name"]["path"], "memory_mb": d["memory"]["memory_mb"],
                "dynamic_memory": bool(d["memory"].get("dynamic_memory")) and self.dynamic_memory(node),
                "switch": d["network"].get("switch", ""), "vhd": d["disk"]["vhd"],
                "vhd_path": d["disk"].get("vhd_path", ""), "vhd_size_gb": d["disk"].get("vhd_size_gb"),
                "generation": self.generation(draft),
                "guest_os": f"{node.version.label} {node.edition}"}

    @staticmethod
    def dynamic_memory(node):
        """Dynamic Memory arrived with 2008 R2 Service Pack 1."""
        return node.version.order >= 3 or (node.os_version == "2008R2" and node.service_pack >= 1)

    def context(self, draft, step):
        node = self.node(draft)
        ctx = {"running_title": "Creating the virtual machine", "host": node,
               "dynamic_ok": self.dynamic_memory(node) if node else False}
        if draft and step.key in ("confirmation", "progress") and "install" in draft.data:
            spec = self.spec(draft)
            ctx["spec"] = spec
            line = (f"New-VM -Name {spec['name']} -ComputerName {node.name} -Path \"{spec['location']}\" "
                    f"-MemoryStartupBytes {spec['memory_mb']}MB")
            if spec["vhd"] == "create":
                line += f" -NewVHDPath \"{spec['vhd_path']}\" -NewVHDSizeBytes {spec['vhd_size_gb']}GB"
            if spec["switch"]:
                line += f" -SwitchName \"{spec['switch']}\""
            ctx["powershell"] = line
        return ctx

    def start_operation(self, draft):
        return start_new_vm(self.user, self.node(draft), self.spec(draft))
