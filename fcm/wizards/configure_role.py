"""Configure Role / High Availability wizard (2008/2008 R2: Configure a Service or Application)."""
from django import forms

from fcm.engine import roles as role_services
from fcm.inventory.models import VirtualMachine

from .base import Step, Wizard


class SelectRoleForm(forms.Form):
    role_type = forms.ChoiceField(widget=forms.RadioSelect, initial="Virtual Machine",
                                  choices=[("Virtual Machine", "Virtual Machine")],
                                  error_messages={"required": "Select the role to make highly available."})


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


class ConfigureRoleWizard(Wizard):
    kind = "configure-role"
    title = "High Availability Wizard"
    icon = "roles"
    steps = [
        Step("before", "Before You Begin", "wizards/role/before.html"),
        Step("role", "Select Role", "wizards/role/select_role.html", SelectRoleForm),
        Step("vms", "Select Virtual Machine", "wizards/role/select_vms.html", SelectVmsForm),
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
        return {"cluster": self.cluster} if step.key == "vms" else {}

    def chosen(self, draft):
        ids = ((draft.data.get("vms") or {}).get("vms") or []) if draft else []
        return list(VirtualMachine.objects.filter(pk__in=ids).select_related("host_node").order_by("name"))

    def context(self, draft, step):
        ctx = {"running_title": "Configure High Availability"}
        if step.key == "vms":
            ctx["candidates"] = candidates(self.cluster)
        if draft and step.key in ("confirmation", "progress"):
            vms = self.chosen(draft)
            checks = [(vm, *role_services.ha_problems(vm, self.cluster)) for vm in vms]
            ctx.update(chosen=checks, powershell="; ".join(
                f"Add-ClusterVirtualMachineRole -VMName {vm.name} -Cluster {self.cluster.name}" for vm in vms))
        return ctx

    def start_operation(self, draft):
        return role_services.start_configure_role(self.user, self.cluster, [vm.pk for vm in self.chosen(draft)])
