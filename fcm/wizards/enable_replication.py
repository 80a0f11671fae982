"""Enable Replication wizard (VM role -> Replication -> Enable Replication...), fcm.md section 12.3."""
from datetime import datetime, timezone

from django import forms

from fcm.engine.commands.replication import enable
from fcm.engine.effects.replication import check_server, find_server, not_enabled_message, primary_name
from fcm.engine.errors import EngineError, ReplicationError
from fcm.inventory.models import Replication, Role, VirtualHardDisk, VirtualMachine
from fcm.sim import replication as model

from .base import Step, Wizard


class ServerForm(forms.Form):
    replica_server = forms.CharField(max_length=255, label="Replica server",
                                     error_messages={"required": "Specify the Replica server."})

    def __init__(self, *args, wizard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wizard = wizard

    def clean_replica_server(self):
        name = self.cleaned_data["replica_server"].strip()
        server = find_server(self.wizard.lab, name)
        if server is None and not_enabled_message(self.wizard.lab, name):
            raise forms.ValidationError(not_enabled_message(self.wizard.lab, name))
        if server is None:
            raise forms.ValidationError(f"The server name '{name}' could not be resolved. Check the name and that the "
                                        "server can be reached from this computer.")
        if not server.enabled:
            raise forms.ValidationError(f"The Replica server '{server.name}' is not enabled as a Replica server.")
        if self.wizard.vm is not None and self.wizard.vm.host_node in server.hosts():
            raise forms.ValidationError("The Replica server must be another server than the primary server.")
        return name


class ConnectionForm(forms.Form):
    port = forms.IntegerField(min_value=1, max_value=65535, label="Replica server port",
                              error_messages={"required": "Specify the port.",
                                              "invalid": "The port must be a number from 1 to 65535."})
    auth = forms.ChoiceField(choices=Replication.Auth.choices, widget=forms.RadioSelect,
                             label="Authentication Type")
    compression = forms.BooleanField(required=False, label="Compress the data that is transmitted over the network")

    def __init__(self, *args, wizard=None, draft=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wizard, self.draft = wizard, draft

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            check_server(self.wizard.lab, self.wizard.server_name(self.draft),
                         primary_name(self.wizard.vm), data["auth"], data["port"])
        except ReplicationError as exc:
            self.add_error("port" if "port" in str(exc) else None, str(exc))
        return data


class VhdsForm(forms.Form):
    vhds = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple,
                                          error_messages={"required": "Select at least one virtual hard disk."})

    def __init__(self, *args, wizard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vhds"].choices = [(h.pk, h.path) for h in wizard.vhds()]


class FrequencyForm(forms.Form):
    frequency_s = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Replication frequency",
                                         choices=[(s, model.frequency_label(s)) for s in model.FREQUENCIES_2012R2])


class PointsForm(forms.Form):
    keep = forms.ChoiceField(widget=forms.RadioSelect, choices=[
        ("latest", "Maintain only the latest recovery point"),
        ("hourly", "Create additional hourly recovery points")])
    additional = forms.IntegerField(required=False, min_value=1,
                                    label="Coverage provided by additional recovery points (in hours)")
    vss = forms.BooleanField(required=False, label="Volume Shadow Copy Service (VSS) frequency")
    vss_hours = forms.IntegerField(required=False, min_value=1, max_value=12,
                                   label="Replicate incremental VSS copy every (hours)")

    def __init__(self, *args, wizard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.maximum = model.max_recovery_points(wizard.order)
        self.fields["additional"].max_value = self.maximum

    def clean(self):
        data = super().clean()
        if data.get("keep") == "hourly":
            n = data.get("additional")
            if n is None and "additional" not in self.errors:
                self.add_error("additional", "Specify how many hours of recovery points to keep.")
            elif n is not None and n > self.maximum:
                self.add_error("additional", f"At most {self.maximum} additional recovery points can be kept.")
            if data.get("vss") and data.get("vss_hours") is None and "vss_hours" not in self.errors:
                self.add_error("vss_hours", "Specify how often to take an application-consistent copy (1 to 12 hours).")
        return data


class InitialForm(forms.Form):
    method = forms.ChoiceField(widget=forms.RadioSelect, choices=Replication.InitialMethod.choices)
    when = forms.ChoiceField(widget=forms.RadioSelect, choices=[
        ("now", "Start replication immediately"), ("later", "Start replication on")])
    start_at = forms.DateTimeField(required=False, label="Start replication on",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, wizard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.wizard = wizard

    def clean(self):
        data = super().clean()
        if data.get("when") == "later" and data.get("method") == Replication.InitialMethod.NETWORK:
            start = data.get("start_at")
            if start is None and "start_at" not in self.errors:
                self.add_error("start_at", "Specify when to start the initial replication.")
            elif start is not None:
                start = start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start
                if start <= self.wizard.lab.sim_now():
                    self.add_error("start_at", "The start time must be in the future.")
                data["start_at"] = start.isoformat()
        else:
            data["start_at"] = None
        return data


def _not_2012(wizard, draft):
    return wizard.order >= 4  # 2012 replicates every 5 minutes, fixed


class EnableReplicationWizard(Wizard):
    kind = "enable-replication"
    title = "Enable Replication"
    icon = "replica"
    needs_subject = True
    confirm_label = "Finish"
    steps = [
        Step("before", "Before You Begin", "wizards/replica/before.html"),
        Step("server", "Specify Replica Server", "wizards/replica/server.html", ServerForm),
        Step("connection", "Specify Connection Parameters", "wizards/replica/connection.html", ConnectionForm),
        Step("vhds", "Choose Replication VHDs", "wizards/replica/vhds.html", VhdsForm),
        Step("frequency", "Configure Replication Frequency", "wizards/replica/frequency.html", FrequencyForm,
             show=_not_2012),
        Step("points", "Configure Additional Recovery Points", "wizards/replica/points.html", PointsForm),
        Step("initial", "Choose Initial Replication Method", "wizards/replica/initial.html", InitialForm),
        Step("confirmation", "Completing the Enable Replication Wizard", "wizards/replica/confirmation.html"),
        Step("progress", "Enable Replication", "wizards/op_progress.html"),
    ]

    @property
    def vm(self):
        """The VM to replicate: a VM role of the cluster, or (from Hyper-V Manager) a VM in no cluster."""
        if not self.subject:
            return None
        if self.cluster is None:
            return VirtualMachine.objects.filter(lab=self.lab, pk=self.subject, role__isnull=True) \
                .select_related("host_node").first()
        role = Role.objects.filter(cluster=self.cluster, pk=self.subject, type=Role.Type.VIRTUAL_MACHINE) \
            .select_related("virtual_machine__host_node").first()
        return getattr(role, "virtual_machine", None)

    @property
    def order(self):
        """The version of the primary's Hyper-V, whose wizard this is (its cluster's, or its host's)."""
        if self.cluster is not None:
            return self.cluster.version.order
        vm = self.vm
        return vm.host_node.version.order if vm else 3

    def version_order(self, draft):
        return self.order

    def vhds(self):
        return list(VirtualHardDisk.objects.filter(virtual_machine=self.vm).order_by("path")) if self.vm else []

    def server_name(self, draft):
        return ((draft.data.get("server") or {}).get("replica_server") or "") if draft else ""

    def form_kwargs(self, draft, step):
        if step.key in ("server", "vhds", "points", "initial"):
            return {"wizard": self}
        if step.key == "connection":
            return {"wizard": self, "draft": draft}
        return {}

    def initial(self, draft, step):
        if step.key == "connection":
            server = find_server(self.lab, self.server_name(draft))
            port = server.kerberos_port if server and (server.kerberos or not server.certificate) else \
                (server.certificate_port if server else model.KERBEROS_PORT)
            auth = Replication.Auth.KERBEROS if not server or server.kerberos else Replication.Auth.CERTIFICATE
            return {"port": port, "auth": auth, "compression": True}
        if step.key == "vhds":
            return {"vhds": [h.pk for h in self.vhds()]}
        if step.key == "frequency":
            return {"frequency_s": model.DEFAULT_FREQUENCY_S}
        if step.key == "points":
            return {"keep": "latest", "vss_hours": 4}
        if step.key == "initial":
            return {"method": Replication.InitialMethod.NETWORK, "when": "now"}
        return {}

    def params(self, draft):
        d = draft.data
        points = d.get("points") or {}
        hourly = points.get("keep") == "hourly"
        initial = d.get("initial") or {}
        start = initial.get("start_at")
        return {
            "server_name": self.server_name(draft), "auth": d["connection"]["auth"], "port": d["connection"]["port"],
            "compression": d["connection"]["compression"], "vhd_ids": (d.get("vhds") or {}).get("vhds") or [],
            "frequency_s": (d.get("frequency") or {}).get("frequency_s") or model.DEFAULT_FREQUENCY_S,
            "additional_points": (points.get("additional") or 0) if hourly else 0,
            "vss_hours": points.get("vss_hours") if hourly and points.get("vss") else None,
            "initial_method": initial.get("method", Replication.InitialMethod.NETWORK),
            "start_at": datetime.fromisoformat(start) if start else None,
        }

    def context(self, draft, step):
        vm = self.vm
        ctx = {"vm": vm, "running_title": "Enable Replication", "vhds": self.vhds(),
               "max_points": model.max_recovery_points(self.order)}
        if draft and step.key in ("confirmation", "progress"):
            p = self.params(draft)
            ctx["params"] = p
            ctx["frequency"] = model.frequency_label(p["frequency_s"])
            ctx["initial_label"] = Replication.InitialMethod(p["initial_method"]).label
            ctx["chosen_vhds"] = [h for h in self.vhds() if not p["vhd_ids"] or h.pk in p["vhd_ids"]]
            ctx["powershell"] = (
                f"Enable-VMReplication -VMName {vm.name} -ReplicaServerName {p['server_name']} "
                f"-ReplicaServerPort {p['port']} -AuthenticationType {p['auth']}"
                f"{' -CompressionEnabled $true' if p['compression'] else ''}"
                f"{' -ReplicationFrequencySec ' + str(p['frequency_s']) if self.order >= 4 else ''}"
                f" -RecoveryHistory {p['additional_points']}"
                f"{' -VSSSnapshotFrequencyHour ' + str(p['vss_hours']) if p['vss_hours'] else ''}; "
                f"Start-VMInitialReplication -VMName {vm.name}")
        return ctx

    def start_operation(self, draft):
        vm = self.vm
        if vm is None:
            raise EngineError("The virtual machine no longer exists.")
        _, op = enable(self.user, vm, **self.params(draft))
        return op
