"""Move dialogs (Live/Quick Migration, Virtual Machine Storage), Cancel, and the lab clock.

A dialog is fetched into the page; its OK posts here. Success answers with
the role's details (the move is then under way and streams in); a refusal
answers with the same dialog and the reason, and changes nothing.
"""
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views import View
from django_htmx.http import retarget

from fcm.engine import planning, services
from fcm.engine.models import Operation
from fcm.inventory.models import Cluster, ClusterDisk, Lab, Node

from . import selectors
from fcm.engine.clock import CLOCK_SPEEDS, set_speed
from .views import RolesView

KINDS = {"live": Operation.Kind.LIVE_MIGRATION, "quick": Operation.Kind.QUICK_MIGRATION}


def close_dialog(response):
    """The answer to a dialog's OK: the details it changed, and the dialog gone."""
    response.render()
    response.content += b'<div id="dialog-host" hx-swap-oob="true"></div>'
    return response


class RoleActionMixin(LoginRequiredMixin):
    def load(self, request, lab, cluster, pk):
        self.lab = get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)
        self.cluster = get_object_or_404(Cluster.objects.select_related("domain", "lab"), lab=self.lab, pk=cluster)
        try:
            self.role = selectors.role_detail(self.cluster, pk)
        except ObjectDoesNotExist:
            raise Http404("No such role.") from None
        if getattr(self.role, "virtual_machine", None) is None:
            raise Http404("Only virtual machines move this way.")
        return self.role

    def details(self, request, lab, cluster, pk):
        """The role's details and Actions pane, as a row click would show them."""
        view = RolesView()
        view.setup(request, lab=lab, cluster=cluster, pk=pk)
        return close_dialog(view.get(request, lab=lab, cluster=cluster, pk=pk))

    def dialog(self, request, template, context, error=""):
        response = TemplateResponse(request, template, {
            "lab": self.lab, "cluster": self.cluster, "role": self.role, "error": error, **context})
        return retarget(response, "#dialog-host")


class MoveTargetForm(forms.Form):
    target = forms.IntegerField(required=False)
    best = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("best") and not data.get("target"):
            raise forms.ValidationError("Select the node to move the virtual machine to.")
        return data


class RoleMoveView(RoleActionMixin, View):
    """Move > Live Migration / Quick Migration > Best Possible Node | Select Node..."""

    template = "console/dialogs/move.html"

    def context(self, kind, best):
        kind_value = KINDS[kind]
        if best:
            node = services.best_node_for(self.role, kind_value)
            plan = None
            if node is not None:
                try:
                    plan = planning.plan_move(kind_value, self.role.virtual_machine, self.cluster,
                                              self.role.virtual_machine.host_node, node)
                except planning.PlanError:
                    node = None
            return {"kind": kind, "kind_label": dict(Operation.Kind.choices)[kind_value], "best": True,
                    "best_node": node, "plan": plan}
        return {"kind": kind, "kind_label": dict(Operation.Kind.choices)[kind_value], "best": False,
                "options": services.move_options(self.role, kind_value)}

    def get(self, request, lab, cluster, pk, kind):
        self.load(request, lab, cluster, pk)
        if kind not in KINDS:
            raise Http404()
        return self.dialog(request, self.template, self.context(kind, request.GET.get("best") == "1"))

    def post(self, request, lab, cluster, pk, kind):
        self.load(request, lab, cluster, pk)
        if kind not in KINDS:
            raise Http404()
        form = MoveTargetForm(request.POST)
        best = request.POST.get("best") == "1"
        if not form.is_valid():
            return self.dialog(request, self.template, self.context(kind, best),
                               error=" ".join(form.non_field_errors()) or "Select a node.")
        target = None
        if not form.cleaned_data["best"]:
            target = Node.objects.filter(cluster=self.cluster, pk=form.cleaned_data["target"]).first()
            if target is None:
                return self.dialog(request, self.template, self.context(kind, best),
                                   error="That node is not in this cluster any more.")
        result = services.request_moves(request.user, [self.role], KINDS[kind], target)
        if result.refused:
            return self.dialog(request, self.template, self.context(kind, best),
                               error=" ".join(reason for _, reason in result.refused))
        return self.details(request, lab, cluster, pk)


class RoleStorageMoveView(RoleActionMixin, View):
    """Move > Virtual Machine Storage: pick the destination volume."""

    template = "console/dialogs/move_storage.html"

    def context(self):
        vm = self.role.virtual_machine
        needed = sum(h.file_size_bytes for h in vm.hard_disks.all())
        options = []
        for d in planning.storage_targets(self.cluster, vm):
            reason = None
            if needed > d.disk.free_bytes:
                reason = f"Not enough free space ({d.disk.free_bytes // 2**30} GB free, {needed // 2**30} GB needed)."
            summary = "" if reason else planning.plan_move(
                Operation.Kind.STORAGE_MIGRATION, vm, self.cluster, vm.host_node, target_disk=d)["summary"]
            options.append({"disk": d, "reason": reason, "summary": summary})
        return {"options": options, "needed": needed}

    def get(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        return self.dialog(request, self.template, self.context())

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        disk = ClusterDisk.objects.filter(cluster=self.cluster, pk=request.POST.get("target") or 0).first()
        if disk is None:
            return self.dialog(request, self.template, self.context(), error="Select the destination volume.")
        try:
            services.request_storage_move(request.user, self.role, disk)
        except services.MoveError as exc:
            return self.dialog(request, self.template, self.context(), error=str(exc))
        return self.details(request, lab, cluster, pk)


class CancelMoveView(RoleActionMixin, View):
    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        op = Operation.objects.filter(role=self.role, state__in=Operation.ACTIVE).first()
        try:
            if op is None:
                raise services.MoveError(f"{self.role.name} is not being moved.")
            services.cancel(op, request.user)
        except services.MoveError as exc:
            return self.dialog(request, "console/dialogs/error.html", {"title": "Cancel Live Migration"},
                               error=str(exc))
        return self.details(request, lab, cluster, pk)


class ClockForm(forms.Form):
    action = forms.ChoiceField(choices=[("pause", "Pause"), ("resume", "Resume")], required=False)
    speed = forms.TypedChoiceField(choices=[(s, s) for s in CLOCK_SPEEDS], coerce=int, required=False,
                                   empty_value=None)


class ClockView(LoginRequiredMixin, View):
    """Pause, resume or change the speed of the lab's clock (sim time stays continuous)."""

    def post(self, request, lab):
        with transaction.atomic():
            # Visible first (a DISTINCT query cannot lock rows on PostgreSQL), then locked by key.
            get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)
            lab_obj = Lab.objects.select_for_update().get(pk=lab)
            form = ClockForm(request.POST)
            error = ""
            if form.is_valid() and (form.cleaned_data["action"] or form.cleaned_data["speed"]):
                if form.cleaned_data["speed"]:
                    speed = form.cleaned_data["speed"]
                elif form.cleaned_data["action"] == "pause":
                    speed = 0
                else:
                    speed = lab_obj.speed or 1
                set_speed(lab_obj, speed)
            else:
                error = "Choose pause, resume or one of the speeds " + ", ".join(f"x{s}" for s in CLOCK_SPEEDS) + "."
        return TemplateResponse(request, "console/_clock.html", {
            "lab": lab_obj, "sim_now": lab_obj.sim_now(), "can_control_clock": True,
            "clock_speeds": CLOCK_SPEEDS, "clock_error": error})


def _selected_roles(request, cluster):
    """Roles named by ?ids=1,2,3 (of this cluster only; unknown ids are dropped)."""
    raw = request.GET.get("ids") or request.POST.get("ids") or ""
    ids = [int(x) for x in raw.split(",") if x.strip().isdigit()][:500]
    roles = list(selectors.roles(cluster).filter(pk__in=ids).select_related("virtual_machine__host_node"))
    return roles, ",".join(str(r.pk) for r in roles)


class ClusterActionMixin(LoginRequiredMixin):
    def load(self, request, lab, cluster):
        self.lab = get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)
        self.cluster = get_object_or_404(Cluster.objects.select_related("domain", "lab"), lab=self.lab, pk=cluster)
        self.roles, self.ids = _selected_roles(request, self.cluster)
        if not self.roles:
            raise Http404("Select the roles first.")


class RolesSelectionView(ClusterActionMixin, View):
    """Several rows selected: their summary and the actions they share."""

    def get(self, request, lab, cluster):
        from fcm.engine.status import attach_operations

        from . import actions

        self.load(request, lab, cluster)
        sim_now = self.lab.sim_now()
        attach_operations(self.lab, self.roles)
        here = request.get_full_path()
        return TemplateResponse(request, "console/detail/roles_many.html", {
            "lab": self.lab, "current_cluster": self.cluster, "roles": self.roles, "sim_now": sim_now,
            "action_groups": actions.for_many_roles(self.cluster, here, self.roles)})


class MultiMoveView(ClusterActionMixin, View):
    """Move several VMs in one action: each to its best possible node, or all to one node."""

    template = "console/dialogs/move_many.html"

    def context(self, kind, error="", refused=()):
        nodes = services.facts.node_facts(self.cluster)
        return {"lab": self.lab, "cluster": self.cluster, "roles": self.roles, "ids": self.ids,
                "kind": kind, "kind_label": dict(Operation.Kind.choices)[KINDS[kind]],
                "nodes": [(Node.objects.get(cluster=self.cluster, name=name), nf) for name, nf in sorted(nodes.items())],
                "error": error, "refused": refused}

    def get(self, request, lab, cluster, kind):
        self.load(request, lab, cluster)
        if kind not in KINDS:
            raise Http404()
        return retarget(TemplateResponse(request, self.template, self.context(kind)), "#dialog-host")

    def post(self, request, lab, cluster, kind):
        self.load(request, lab, cluster)
        if kind not in KINDS:
            raise Http404()
        choice = request.POST.get("target", "")
        target = None
        if choice != "best":
            target = Node.objects.filter(cluster=self.cluster, pk=choice if choice.isdigit() else 0).first()
            if target is None:
                return retarget(TemplateResponse(request, self.template, self.context(
                    kind, error="Choose Best Possible Node or one of the nodes.")), "#dialog-host")
        result = services.request_moves(request.user, self.roles, KINDS[kind], target)
        if result.refused:
            # What could move is moving; the dialog lists what could not, and why.
            return retarget(TemplateResponse(request, self.template, self.context(
                kind, refused=result.refused, error=f"{len(result.started)} of {len(self.roles)} moves started.")),
                "#dialog-host")
        view = RolesSelectionView()
        view.setup(request, lab=lab, cluster=cluster)
        return close_dialog(view.get(request, lab=lab, cluster=cluster))
