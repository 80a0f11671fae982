"""Role control: Start/Save/Shut Down/Turn Off, Remove, Properties."""
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from fcm.engine import failures
from fcm.engine import roles as role_services
from fcm.engine import services
from fcm.inventory.models import Node, PreferredOwner, Role

from .moves import RoleActionMixin


class RolePowerView(RoleActionMixin, View):
    def post(self, request, lab, cluster, pk):
        role = self.load(request, lab, cluster, pk)
        action = request.GET.get("action") or request.POST.get("action")
        if action == "crash" and not self.lab.may_simulate(request.user):
            raise PermissionDenied("Only the lab's owner can simulate failures.")
        try:
            if action == "crash":
                failures.guest_crash(request.user, role)
            else:
                role_services.request_power(request.user, role.virtual_machine, action)
        except (role_services.RoleError, failures.FailureError) as exc:
            return self.dialog(request, "console/dialogs/error.html",
                               {"title": role_services.POWER_LABELS.get(action, "Guest OS crash")}, error=str(exc))
        return self.details(request, lab, cluster, pk)


class RoleRemoveView(RoleActionMixin, View):
    template = "console/dialogs/confirm.html"

    def context(self):
        return {"title": "Remove", "icon": "failed", "yes": "Yes",
                "question": f"Are you sure you want to remove the role {self.role.name}? The virtual machine stays "
                            f"on {self.role.owner_node.name if self.role.owner_node else 'its host'} but is no "
                            "longer highly available."}

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        return self.dialog(request, self.template, self.context())

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        try:
            role_services.remove_role(self.role)
        except role_services.RoleError as exc:
            return self.dialog(request, self.template, self.context(), error=str(exc))
        return HttpResponseClientRedirect(reverse("console:roles", args=[lab, cluster]))


class RolePropertiesForm(forms.Form):
    name = forms.CharField(max_length=120)
    priority = forms.TypedChoiceField(choices=Role.Priority.choices, coerce=int)
    failover_threshold = forms.IntegerField(required=False, min_value=0, max_value=4294967295,
                                            label="Maximum failures in the specified period")
    failover_period_hours = forms.IntegerField(min_value=1, max_value=1193, label="Period (hours)")
    failback = forms.ChoiceField(choices=[("prevent", "Prevent failback"), ("immediately", "Allow failback: Immediately"),
                                          ("window", "Allow failback: Failback between")])
    window_start = forms.IntegerField(required=False, min_value=0, max_value=23)
    window_end = forms.IntegerField(required=False, min_value=0, max_value=23)

    def __init__(self, *args, role=None, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role, self.nodes = role, list(nodes)
        for n in self.nodes:
            self.fields[f"owner_{n.pk}"] = forms.IntegerField(required=False, min_value=1, max_value=len(self.nodes))

    def owner_rows(self):
        return [(n, self[f"owner_{n.pk}"]) for n in self.nodes]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Role.objects.filter(cluster=self.role.cluster, name__iexact=name).exclude(pk=self.role.pk).exists():
            raise forms.ValidationError(f"Another role of this cluster is named {name}.")
        return name

    def clean(self):
        data = super().clean()
        ranks = {n.pk: data.get(f"owner_{n.pk}") for n in self.nodes if data.get(f"owner_{n.pk}")}
        if len(set(ranks.values())) != len(ranks):
            raise forms.ValidationError("Give each preferred owner a different position (1 is tried first).")
        data["preferred"] = [pk for pk, _ in sorted(ranks.items(), key=lambda kv: kv[1])]
        if data.get("failback") == "window":
            if data.get("window_start") is None or data.get("window_end") is None:
                self.add_error("window_start", "Type the hours (0-23) between which failback may happen.")
        return data


class RolePropertiesView(RoleActionMixin, View):
    template = "console/dialogs/role_properties.html"

    def form(self, data=None):
        nodes = Node.objects.filter(cluster=self.cluster).order_by("name")
        r = self.role
        ranks = {p.node_id: p.rank for p in r.preferred_owner_entries.all()}
        initial = {
            "name": r.name, "priority": r.priority, "failover_threshold": r.failover_threshold,
            "failover_period_hours": r.failover_period_hours,
            "failback": "prevent" if r.failback == Role.Failback.PREVENT else (
                "window" if r.failback_window_start is not None else "immediately"),
            "window_start": r.failback_window_start, "window_end": r.failback_window_end,
            **{f"owner_{pk}": rank for pk, rank in ranks.items()},
        }
        return RolePropertiesForm(data, initial=initial, role=r, nodes=nodes)

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        return self.dialog(request, self.template, {"form": self.form(), "node_count": self.cluster.nodes.count()})

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        form = self.form(request.POST)
        if not form.is_valid():
            return self.dialog(request, self.template, {"form": form, "node_count": self.cluster.nodes.count()})
        d = form.cleaned_data
        role = Role.objects.get(pk=self.role.pk)
        role.name, role.priority = d["name"], d["priority"]
        role.failover_threshold, role.failover_period_hours = d["failover_threshold"], d["failover_period_hours"]
        role.failback = Role.Failback.PREVENT if d["failback"] == "prevent" else Role.Failback.ALLOW
        window = d["failback"] == "window"
        role.failback_window_start = d["window_start"] if window else None
        role.failback_window_end = d["window_end"] if window else None
        role.save()
        PreferredOwner.objects.filter(role=role).delete()
        PreferredOwner.objects.bulk_create([PreferredOwner(role=role, node_id=node_id, rank=i)
                                            for i, node_id in enumerate(d["preferred"], start=1)])
        services.mark_role(role)
        return self.details(request, lab, cluster, pk)

    def put(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["GET", "POST"])


class ResourceStateView(RoleActionMixin, View):
    """Resources tab: Bring Online / Take Offline a single resource."""

    def post(self, request, lab, cluster, pk, resource, state):
        role = self.load(request, lab, cluster, pk)
        res = role.resources.filter(pk=resource).first()
        if res is None or state not in ("online", "offline"):
            from django.http import Http404
            raise Http404("No such resource.")
        try:
            role_services.set_resource_state(request.user, res, state == "online")
        except role_services.RoleError as exc:
            return self.dialog(request, "console/dialogs/error.html",
                               {"title": "Bring Online" if state == "online" else "Take Offline"}, error=str(exc))
        return self.details(request, lab, cluster, pk)
