"""Add Node and Configure Cluster Quorum Settings."""
import re

from django import forms

from fcm.engine.commands.clusters import start_add_nodes, start_configure_quorum
from fcm.engine.facts import eligible_witnesses
from fcm.engine.models import ValidationReport
from fcm.inventory.models import Cluster, ClusterDisk, Node
from fcm.sim import quorum

from .base import Step, Wizard
from .create import SelectServersForm


MODE_LABELS = dict(Cluster.Quorum.choices)


# -- Add Node ---------------------------------------------------------------------

class AddServersForm(SelectServersForm):
    """Servers to add: also on the cluster's version, within its node limit."""

    def more_problems(self, nodes):
        problems = [f"'{n.name}' runs {n.get_os_version_display()}; the cluster runs "
                    f"{self.cluster.get_os_version_display()}." for n in nodes
                    if n.os_version != self.cluster.os_version]
        if Node.objects.filter(cluster=self.cluster).count() + len(nodes) > self.cluster.version.max_nodes:
            problems.append(f"A {self.cluster.get_os_version_display()} cluster has at most "
                            f"{self.cluster.version.max_nodes} nodes.")
        return problems


class AddConfirmForm(forms.Form):
    add_storage = forms.BooleanField(required=False, initial=True, label="Add all eligible storage to the cluster.")


def _add_needs_warning(wizard, draft):
    if not draft:
        return False
    new = (draft.data.get("servers") or {}).get("names") or []
    if not new:
        return False
    everyone = sorted(set(new) | set(Node.objects.filter(cluster=wizard.cluster).values_list("name", flat=True)))
    passing = ValidationReport.objects.filter(lab=wizard.lab, outcome__in=ValidationReport.PASSING)
    return not any(sorted(r.nodes) == everyone for r in passing)


class AddWarningForm(forms.Form):
    confirm = forms.ChoiceField(widget=forms.RadioSelect, initial="no", choices=[
        ("yes", "Yes. Run configuration validation tests on the existing and the new nodes first (the "
                "Validate a Configuration wizard opens)."),
        ("no", "No. I do not require support for this cluster; continue adding the nodes.")])


class AddNodeWizard(Wizard):
    kind = "add-node"
    title = "Add Node Wizard"
    icon = "node"
    steps = [
        Step("before", "Before You Begin", "wizards/addnode/before.html"),
        Step("servers", "Select Servers", "wizards/create/servers.html", AddServersForm),
        Step("warning", "Validation Warning", "wizards/addnode/warning.html", AddWarningForm, show=_add_needs_warning),
        Step("confirmation", "Confirmation", "wizards/addnode/confirmation.html", AddConfirmForm),
        Step("progress", "Configure the Cluster", "wizards/op_progress.html"),
    ]

    def form_kwargs(self, draft, step):
        return {"lab": self.lab, "cluster": self.cluster} if step.key == "servers" else {}

    def names(self, draft):
        return ((draft.data.get("servers") or {}).get("names") or []) if draft else []

    def add_storage(self, draft):
        return bool((draft.data.get("confirmation") or {}).get("add_storage")) and self.cluster.version.order >= 4

    def context(self, draft, step):
        ctx = {"running_title": "Configure the Cluster"}
        if step.key == "servers":
            ctx["lab_servers"] = Node.objects.filter(lab=self.lab).select_related("cluster").order_by("name")
        if draft:
            line = f"Add-ClusterNode -Cluster {self.cluster.name} -Name {','.join(self.names(draft))}"
            if self.cluster.version.order >= 4 and not self.add_storage(draft) and step.key == "progress":
                line += " -NoStorage"
            ctx.update(new_nodes=self.names(draft), powershell=line)
        return ctx

    def warning_handoff(self, draft):
        names = sorted(set(self.names(draft)) | set(Node.objects.filter(cluster=self.cluster)
                                                    .values_list("name", flat=True)))
        return {"servers": {"names": names}}

    def start_operation(self, draft):
        return start_add_nodes(self.user, self.cluster, self.names(draft), self.add_storage(draft))


# -- Configure Cluster Quorum Settings ---------------------------------------------

def _modern(wizard):
    return wizard.cluster.version.order >= 3


class QuorumOptionForm(forms.Form):
    option = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        order = cluster.version.order
        if order >= 3:
            typical = "Use default quorum configuration" if order >= 4 else "Use typical settings (recommended)"
            self.fields["option"].choices = [("typical", typical), ("witness", "Select the quorum witness"
                                             if order >= 4 else "Add or change the quorum witness")]
        else:
            voting = Node.objects.filter(cluster=cluster).count()
            best = quorum.recommended(voting, order, eligible_witnesses(cluster).exists())
            self.fields["option"].choices = [
                (m, MODE_LABELS[m] + (" (recommended for your current number of nodes)" if m == best else ""))
                for m in quorum.modes_for(order)]
        self.fields["option"].initial = self.fields["option"].choices[0][0]


class WitnessKindForm(forms.Form):
    witness = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("disk", "Configure a disk witness"), ("share", "Configure a file share witness")]
        if cluster.version.order >= 5:
            choices.append(("cloud", "Configure a cloud witness"))
        choices.append(("none", "Do not configure a quorum witness"))
        self.fields["witness"].choices = choices
        self.fields["witness"].initial = "disk"


SHARE = re.compile(r"^\\\\[A-Za-z0-9][A-Za-z0-9.\-]*\\[^\\/:*?\"<>|]+$")


class WitnessConfigForm(forms.Form):
    disk = forms.IntegerField(required=False)
    file_share = forms.CharField(required=False, max_length=260, label="File Share Path")
    account = forms.CharField(required=False, max_length=24, label="Azure storage account name")
    key = forms.CharField(required=False, max_length=200, label="Azure storage account key")

    def __init__(self, *args, cluster=None, kind="disk", **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster, self.kind = cluster, kind

    def clean(self):
        data = super().clean()
        if self.kind == "disk":
            if not eligible_witnesses(self.cluster).filter(pk=data.get("disk") or 0).exists():
                self.add_error("disk", "Select the disk to use as the witness (in Available Storage, not a "
                                       "Cluster Shared Volume, not used by a role).")
        elif self.kind == "share":
            path = (data.get("file_share") or "").strip()
            if not SHARE.match(path):
                self.add_error("file_share", r"Type the path of a shared folder as \\server\share.")
            elif path.split("\\")[2].split(".")[0].lower() in {
                    n.lower() for n in Node.objects.filter(cluster=self.cluster).values_list("name", flat=True)}:
                self.add_error("file_share", "The file share witness must be on a server outside the cluster.")
        elif self.kind == "cloud":
            if not re.fullmatch(r"[a-z0-9]{3,24}", data.get("account") or ""):
                self.add_error("account", "A storage account name has 3 to 24 lower-case letters and digits.")
            if len((data.get("key") or "").strip()) < 20:
                self.add_error("key", "Paste the storage account's access key.")
        return data


def _witness_kind(wizard, draft):
    option = ((draft.data.get("option") or {}).get("option")) if draft else None
    if not _modern(wizard):
        return {quorum.NODE_AND_DISK: "disk", quorum.DISK_ONLY: "disk",
                quorum.NODE_AND_FILE_SHARE: "share", quorum.NODE_AND_CLOUD: "cloud"}.get(option)
    if option != "witness":
        return None
    kind = (draft.data.get("witness") or {}).get("witness")
    return None if kind == "none" else kind


class QuorumWizard(Wizard):
    kind = "quorum"
    title = "Configure Cluster Quorum Wizard"
    icon = "cluster"
    steps = [
        Step("before", "Before You Begin", "wizards/quorum/before.html"),
        Step("option", "Select Quorum Configuration Option", "wizards/quorum/option.html", QuorumOptionForm),
        Step("witness", "Select Quorum Witness", "wizards/quorum/witness.html", WitnessKindForm,
             show=lambda w, d: _modern(w) and bool(d) and (d.data.get("option") or {}).get("option") == "witness"),
        Step("witness_config", "Configure Quorum Witness", "wizards/quorum/witness_config.html", WitnessConfigForm,
             show=lambda w, d: _witness_kind(w, d) is not None),
        Step("confirmation", "Confirmation", "wizards/quorum/confirmation.html"),
        Step("progress", "Configure Cluster Quorum Settings", "wizards/op_progress.html"),
    ]

    def form_kwargs(self, draft, step):
        kw = {"cluster": self.cluster}
        if step.key == "witness_config":
            kw["kind"] = _witness_kind(self, draft) or "disk"
        return kw

    def params(self, draft):
        option = (draft.data.get("option") or {}).get("option")
        config = draft.data.get("witness_config") or {}
        kind = _witness_kind(self, draft)
        nodes = Node.objects.filter(cluster=self.cluster).count()
        if _modern(self) and option == "typical":
            disks = [(d.name, d.disk.size_bytes) for d in eligible_witnesses(self.cluster)]
            mode, witness_name = quorum.automatic_configuration(nodes, disks, self.cluster.version.order)
            disk = eligible_witnesses(self.cluster).filter(name=witness_name).first()
            return {"mode": mode, "witness_disk": disk.pk if disk else None}
        if _modern(self):
            mode = {"disk": quorum.NODE_AND_DISK, "share": quorum.NODE_AND_FILE_SHARE,
                    "cloud": quorum.NODE_AND_CLOUD, None: quorum.NODE_MAJORITY}[kind]
        else:
            mode = option
        return {"mode": mode, "witness_disk": config.get("disk") if kind == "disk" else None,
                "file_share": config.get("file_share", "") if kind == "share" else "",
                "account": config.get("account", "") if kind == "cloud" else ""}

    def context(self, draft, step):
        ctx = {"running_title": "Configure Cluster Quorum Settings",
               "witness_disks": [(d, quorum.witness_size_warning(d.name, d.disk.size_bytes))
                                 for d in eligible_witnesses(self.cluster)],
               "witness_kind": _witness_kind(self, draft)}
        if draft and step.key in ("confirmation", "progress"):
            p = self.params(draft)
            disk = ClusterDisk.objects.filter(pk=p.get("witness_disk") or 0).first()
            nodes = Node.objects.filter(cluster=self.cluster).count()
            ctx.update(quorum_params=p, mode_label=MODE_LABELS[p["mode"]], witness_disk=disk,
                       witness_warning=quorum.witness_size_warning(disk.name, disk.disk.size_bytes) if disk else "",
                       powershell=quorum_powershell(self.cluster, p, disk),
                       survival=quorum.survivable_failures(nodes, p["mode"], self.cluster.dynamic_quorum,
                                                           self.cluster.version.order >= 4).sentence())
        return ctx

    def start_operation(self, draft):
        return start_configure_quorum(self.user, self.cluster, self.params(draft))


def quorum_powershell(cluster, p, disk):
    base = f"Set-ClusterQuorum -Cluster {cluster.name}"
    modern = cluster.version.order >= 4
    if p["mode"] == quorum.NODE_AND_DISK:
        return f'{base} {"-DiskWitness" if modern else "-NodeAndDiskMajority"} "{disk.name if disk else ""}"'
    if p["mode"] == quorum.DISK_ONLY:
        return f'{base} -DiskOnly "{disk.name if disk else ""}"'
    if p["mode"] == quorum.NODE_AND_FILE_SHARE:
        return f'{base} {"-FileShareWitness" if modern else "-NodeAndFileShareMajority"} "{p.get("file_share")}"'
    if p["mode"] == quorum.NODE_AND_CLOUD:
        return f"{base} -CloudWitness -AccountName {p.get('account')} -AccessKey <key>"
    return f"{base} {'-NoWitness' if modern else '-NodeMajority'}"
