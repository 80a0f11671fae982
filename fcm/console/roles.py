"""Roles: the page, the dependency report, Start/Save/Shut Down/Turn Off, a resource's state, Remove,
Properties."""
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from fcm.engine.commands import faults, properties
from fcm.engine.commands import roles as role_commands

from . import selectors
from .base import ConsoleView, RoleMixin, VmRoleMixin, refused
from .forms import RolePropertiesForm
from .presenters import RolesPage, role_details


class RolesView(ConsoleView):
    page = RolesPage


class DependencyReportView(RoleMixin, View):
    """More Actions -> Show Dependency Report: the role's resource dependency tree."""

    def get(self, request, lab, cluster, pk):
        role = self.load(request, lab, cluster, pk)
        resources = list(role.resources.all())
        return TemplateResponse(request, "console/reports/dependency.html", {
            "lab": self.lab, "cluster": self.cluster, "role": role, "resources": resources,
            "top": [r for r in resources if not any(r in o.depends_on.all() for o in resources)],
            "generated_at": self.lab.sim_now(),
        })


class RolePowerView(VmRoleMixin, View):
    def post(self, request, lab, cluster, pk):
        role = self.load(request, lab, cluster, pk)
        action = request.GET.get("action") or request.POST.get("action")
        if action == "crash" and not self.lab.may_simulate(request.user):
            raise PermissionDenied("Only the lab's owner can simulate failures.")
        if action == "crash":
            error = refused(lambda: faults.guest_crash(request.user, role))
        else:
            error = refused(lambda: role_commands.request_power(request.user, role.virtual_machine, action))
        if error:
            return self.error_dialog(request, role_commands.POWER_LABELS.get(action, "Guest OS crash"), error)
        return role_details(request, lab, cluster, pk)


class ResourceStateView(RoleMixin, View):
    """Resources tab: Bring Online / Take Offline a single resource."""

    def post(self, request, lab, cluster, pk, resource, state):
        role = self.load(request, lab, cluster, pk)
        res = next((r for r in role.resources.all() if r.pk == resource), None)
        if res is None or state not in ("online", "offline"):
            raise Http404("No such resource.")
        error = refused(lambda: role_commands.set_resource_state(request.user, res, state == "online"))
        if error:
            return self.error_dialog(request, "Bring Online" if state == "online" else "Take Offline", error)
        return role_details(request, lab, cluster, pk)


class RoleRemoveView(VmRoleMixin, View):
    template = "console/dialogs/confirm.html"

    def context(self):
        return {"title": "Remove", "icon": "failed", "yes": "Yes",
                "question": f"Are you sure you want to remove the role {self.role.name}? The virtual machine stays "
                            f"on {self.role.owner_node.name if self.role.owner_node else 'its host'} but is no "
                            "longer highly available."}

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        return self.dialog(request, self.template, **self.context())

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        error = refused(lambda: role_commands.remove_role(self.role))
        if error:
            return self.dialog(request, self.template, error=error, **self.context())
        return HttpResponseClientRedirect(reverse("console:roles", args=[lab, cluster]))


class RolePropertiesView(RoleMixin, View):
    template = "console/dialogs/role_properties.html"

    def form(self, data=None):
        return RolePropertiesForm.of(self.role, selectors.nodes(self.cluster), data)

    def show(self, request, form):
        return self.dialog(request, self.template, form=form, node_count=selectors.node_count(self.cluster))

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        return self.show(request, self.form())

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        form = self.form(request.POST)
        if not form.is_valid():
            return self.show(request, form)
        if refused(lambda: properties.set_role_properties(self.role, **form.properties()), form):
            return self.show(request, form)
        return role_details(request, lab, cluster, pk)

    def put(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["GET", "POST"])
