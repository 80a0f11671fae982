"""Move dialogs: Live / Quick Migration of one VM or several, Virtual Machine Storage, Cancel.

A dialog is fetched into the page; its OK posts here. Success answers with
the role's details (the move is then under way and streams in); a refusal
answers with the same dialog and the reason, and changes nothing.
"""
from django.http import Http404
from django.views import View

from fcm.engine.models import Operation
from fcm.engine import errors
from fcm.engine.commands import moves as move_commands
from fcm.engine import facts, planning
from fcm.inventory.ids import whole_number, whole_numbers

from . import selectors
from .base import ClusterMixin, VmRoleMixin, close_dialog, refused
from .forms import MoveTargetForm
from .presenters import role_details, roles_selection

KINDS = {"live": Operation.Kind.LIVE_MIGRATION, "quick": Operation.Kind.QUICK_MIGRATION}


def _kind(kind):
    if kind not in KINDS:
        raise Http404()
    return KINDS[kind]


class RoleMoveView(VmRoleMixin, View):
    """Move > Live Migration / Quick Migration > Best Possible Node | Select Node..."""

    template = "console/dialogs/move.html"

    def context(self, kind, best):
        kind_value = KINDS[kind]
        if best:
            node = planning.best_node_for(self.role, kind_value)
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
                "options": planning.move_options(self.role, kind_value)}

    def get(self, request, lab, cluster, pk, kind):
        self.load(request, lab, cluster, pk)
        _kind(kind)
        return self.dialog(request, self.template, **self.context(kind, request.GET.get("best") == "1"))

    def post(self, request, lab, cluster, pk, kind):
        self.load(request, lab, cluster, pk)
        kind_value = _kind(kind)
        if "node" in request.GET:
            return self.move_to_numbered_node(request, kind_value, request.GET["node"])
        form = MoveTargetForm(request.POST)
        best = request.POST.get("best") == "1"
        if not form.is_valid():
            return self.dialog(request, self.template, error=" ".join(form.non_field_errors()) or "Select a node.",
                               **self.context(kind, best))
        target = None
        if not form.cleaned_data["best"]:
            target = selectors.node_in(self.cluster, form.cleaned_data["target"])
            if target is None:
                return self.dialog(request, self.template, error="That node is not in this cluster any more.",
                                   **self.context(kind, best))
        result = move_commands.request_moves(request.user, [self.role], kind_value, target)
        if result.refused:
            return self.dialog(request, self.template, error=" ".join(reason for _, reason in result.refused),
                               **self.context(kind, best))
        return role_details(request, lab, cluster, pk)


    def move_to_numbered_node(self, request, kind_value, node):
        """2008 / 2008 R2's flyout item ("1 - Live migrate to node WS08R2-S2"): no dialog, the move starts."""
        label = dict(Operation.Kind.choices)[kind_value]
        target = selectors.node_in(self.cluster, whole_number(node) or 0)
        if target is None:
            return self.error_dialog(request, label, "That node is not in this cluster any more.")
        result = move_commands.request_moves(request.user, [self.role], kind_value, target)
        if result.refused:
            return self.error_dialog(request, label, " ".join(reason for _, reason in result.refused))
        return role_details(request, self.lab.pk, self.cluster.pk, self.role.pk)


class RoleStorageMoveView(VmRoleMixin, View):
    """Move > Virtual Machine Storage: pick the destination volume."""

    template = "console/dialogs/move_storage.html"

    def context(self):
        vm = self.role.virtual_machine
        needed = vm.storage_bytes()
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
        return self.dialog(request, self.template, **self.context())

    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        disk = selectors.cluster_disk_in(self.cluster, whole_number(request.POST.get("target")) or 0)
        if disk is None:
            return self.dialog(request, self.template, error="Select the destination volume.", **self.context())
        error = refused(lambda: move_commands.request_storage_move(request.user, self.role, disk))
        if error:
            return self.dialog(request, self.template, error=error, **self.context())
        return role_details(request, lab, cluster, pk)


class CancelMoveView(VmRoleMixin, View):
    def post(self, request, lab, cluster, pk):
        self.load(request, lab, cluster, pk)
        op = selectors.active_operation(self.role)

        def cancel():
            if op is None:
                raise errors.MoveError(f"{self.role.name} is not being moved.")
            move_commands.cancel(op, request.user)

        error = refused(cancel)
        if error:
            return self.error_dialog(request, "Cancel Live Migration", error)
        return role_details(request, lab, cluster, pk)


def _selected_ids(request):
    """The roles named by ?ids=1,2,3 (at most 500)."""
    raw = request.GET.get("ids") or request.POST.get("ids") or ""
    return whole_numbers(raw.split(","))[:500]


class SelectedRolesMixin(ClusterMixin):
    """Several roles of the cluster, named by ?ids= (unknown ids are dropped; none at all is a 404)."""

    def load(self, request, lab, cluster):
        super().load(request, lab, cluster)
        self.roles = selectors.roles_by_pk(self.cluster, _selected_ids(request))
        self.ids = ",".join(str(r.pk) for r in self.roles)
        if not self.roles:
            raise Http404("Select the roles first.")


class RolesSelectionView(SelectedRolesMixin, View):
    """Several rows selected: their summary and the actions they share."""

    def get(self, request, lab, cluster):
        self.load(request, lab, cluster)
        return roles_selection(request, self.lab, self.cluster, self.roles)


class MultiMoveView(SelectedRolesMixin, View):
    """Move several VMs in one action: each to its best possible node, or all to one node."""

    template = "console/dialogs/move_many.html"

    def context(self, kind, refusals=()):
        nodes = facts.node_facts(self.cluster)
        by_name = selectors.nodes_by_name(self.cluster)
        return {"roles": self.roles, "ids": self.ids, "kind": kind,
                "kind_label": dict(Operation.Kind.choices)[KINDS[kind]],
                "nodes": [(by_name[name], nf) for name, nf in sorted(nodes.items())], "refused": refusals}

    def get(self, request, lab, cluster, kind):
        self.load(request, lab, cluster)
        _kind(kind)
        return self.dialog(request, self.template, **self.context(kind))

    def post(self, request, lab, cluster, kind):
        self.load(request, lab, cluster)
        kind_value = _kind(kind)
        choice = request.POST.get("target", "")
        target = None
        if choice != "best":
            target = selectors.node_in(self.cluster, whole_number(choice) or 0)
            if target is None:
                return self.dialog(request, self.template, error="Choose Best Possible Node or one of the nodes.",
                                   **self.context(kind))
        result = move_commands.request_moves(request.user, self.roles, kind_value, target)
        if result.refused:
            # What could move is moving; the dialog lists what could not, and why.
            return self.dialog(request, self.template,
                               error=f"{len(result.started)} of {len(self.roles)} moves started.",
                               **self.context(kind, refusals=result.refused))
        self.load(request, lab, cluster)  # the roles as they are now: moving
        return close_dialog(roles_selection(request, self.lab, self.cluster, self.roles))
