"""Configure Role / High Availability wizard (2008/2008 R2: Configure a Service or Application)."""
from django import forms

from fcm.engine.commands.roles import start_configure_broker, start_configure_role
from fcm.engine.effects.broker import broker_problems
from fcm.engine.effects.roles import ha_problems
from fcm.inventory.models import ReplicaServer, VirtualMachine

from .base import Step, Wizard


BROKER = "Hyper-V Replica Broker"


class SelectRoleForm(forms.Form):
    role_type = forms.ChoiceField(widget=forms.RadioSelect, initial="Virtual Machine",
                                  choices=[("Virtual Machine", "Virtual Machine")],
                                  error_messages={"required": "Select the role to make highly available."})

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Hyper-V Replica came with 2012; a cluster has at most one broker.
        if cluster is not None and cluster.version.order >= 3 and \
                not ReplicaServer.objects.filter(broker_role__cluster=cluster).exists():
            self.fields["role_type"].choices = [("Virtual Machine", "Virtual Machine"), (BROKER, BROKER)]


class AccessPointForm(forms.Form):
    """Client Access Point of the Replica Broker: the name primaries replicate to, and its address."""

    name = forms.CharField(max_length=15, error_messages={"required": "Type the name clients use."})
    ip = forms.CharField(max_length=15, label="Address", error_messages={"required": "Type an IP address."})

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster = cluster

    def clean(self):
        data = super().clean()
        if not self.errors:
            for field, message in broker_problems(self.cluster, data["name"], data["ip"]).items():
                self.add_error(field, message)
        return data


class SelectVmsForm(forms.Form):
    vms = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple,
                                         error_messages={"required": "Select at least one virtual machine."})

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates(cluster))
        self.fields["vms"].choices = [(vm.pk, vm.name) for vm in self.candidates]


def candidates(cluster):
    """VMs on the cluster's nodes that are not clustered yet."""
    return VirtualMachine.objects.filter(host_node__cluster=cluster, role__isnull=True) \
        .select_related("host_node").order_by("name")


def _chose(kind):
    return lambda wizard, draft: ((draft.data.get("role") or {}).get("role_type") if draft else None) == kind \
        or (kind == "Virtual Machine" and not (draft and draft.data.get("role")))


class ConfigureRoleWizard(Wizard):
    kind = "configure-role"
    title = "High Availability Wizard"
    icon = "roles"
    steps = [
        Step("before", "Before You Begin", "wizards/role/before.html"),
        Step("role", "Select Role", "wizards/role/select_role.html", SelectRoleForm),
        Step("vms", "Select Virtual Machine", "wizards/role/select_vms.html", SelectVmsForm,
             show=_chose("Virtual Machine")),
        Step("access", "Client Access Point", "wizards/role/access.html", AccessPointForm, show=_chose(BROKER)),
        Step("confirmation", "Confirmation", "wizards/role/confirmation.html"),
        Step("progress", "Configure High Availability", "wizards/op_progress.html"),
    ]

    def visible_steps(self, draft):
        steps = super().visible_steps(draft)
        if self.cluster.version.order <= 2:  # the 2008 / 2008 R2 wording
            steps = [Step(s.key, "Select Service or Application", s.template, s.form_class, s.show)
                     if s.key == "role" else s for s in steps]
        return steps

    def form_kwargs(self, draft, step):
        return {"cluster": self.cluster} if step.key in ("vms", "role", "access") else {}

    def broker(self, draft):
        return draft is not None and (draft.data.get("role") or {}).get("role_type") == BROKER

    def chosen(self, draft):
        ids = ((draft.data.get("vms") or {}).get("vms") or []) if draft else []
        return list(VirtualMachine.objects.filter(pk__in=ids).select_related("host_node").order_by("name"))

    def context(self, draft, step):
        ctx = {"running_title": "Configure High Availability"}
        if step.key == "vms":
            ctx["candidates"] = candidates(self.cluster)
        if self.broker(draft) and step.key in ("confirmation", "progress"):
            access = draft.data.get("access") or {}
            ctx.update(broker=access, powershell=(
                f"Add-ClusterServerRole -Name {access.get('name')} -StaticAddress {access.get('ip')}; "
                f"Add-ClusterResource -Name \"Virtual Machine Replication Broker\" -Type \"Virtual Machine "
                f"Replication Broker\" -Group {access.get('name')}"))
            return ctx
        if draft and step.key in ("confirmation", "progress"):
            vms = self.chosen(draft)
            checks = [(vm, *ha_problems(vm, self.cluster)) for vm in vms]
            ctx.update(chosen=checks, powershell="; ".join(
                f"Add-ClusterVirtualMachineRole -VMName {vm.name} -Cluster {self.cluster.name}" for vm in vms))
        return ctx

    def start_operation(self, draft):
        if self.broker(draft):
            access = draft.data["access"]
            return start_configure_broker(self.user, self.cluster, access["name"], access["ip"])
        return start_configure_role(self.user, self.cluster, [vm.pk for vm in self.chosen(draft)])
