"""Wizard dialogs over the console, and the validation reports."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from fcm.engine.commands.moves import cancel_validation
from fcm.engine.errors import EngineError
from fcm.engine.models import Operation, ValidationReport
from fcm.inventory.ids import whole_number
from fcm.inventory.models import Cluster, Lab

from .models import PhaseStatus, WizardDraft
from .registry import CLUSTER_WIZARDS, WIZARDS

TestStatus = ValidationReport.TestStatus
#: The report summary's worst result of a category, mildest first.
SEVERITY = (TestStatus.SUCCESS, TestStatus.NOT_APPLICABLE, TestStatus.CANCELED, TestStatus.WARNING, TestStatus.FAILED)


def lab_for(request, lab):
    return get_object_or_404(Lab.objects.visible_to(request.user), pk=lab)


class WizardView(LoginRequiredMixin, View):
    """GET shows the current step; POST moves: next, previous, cancel, finish, close."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.lab = lab_for(request, kwargs["lab"])
        if "draft" in kwargs:
            self.draft = WizardDraft.objects.filter(pk=kwargs["draft"], lab=self.lab, user=request.user).first()
            if self.draft is None:
                raise Http404("This run of the wizard is over (closed, or started again in another window): "
                              "start it again from the Actions pane.")
            kind, cluster = self.draft.kind, self.draft.cluster
            subject = self.draft.data.get("subject")
        else:
            self.draft = None
            kind = kwargs["kind"]
            cluster = self.cluster_named(request.GET.get("cluster") or request.POST.get("cluster"))
            subject = whole_number(request.GET.get("subject") or request.POST.get("subject"))
        if kind not in WIZARDS or (kind in CLUSTER_WIZARDS and cluster is None):
            raise Http404("No such wizard.")
        self.wizard = WIZARDS[kind](self.lab, request.user, cluster, subject)
        self.wizard.session = request.session
        if getattr(self.wizard, "needs_subject", False) and self.wizard.vm is None:
            raise Http404("Start this wizard from a virtual machine.")
        if not self.wizard.available():
            raise Http404("Start this wizard from a cluster or from Hyper-V Manager connected to a server.")
        return super().dispatch(request, *args, **kwargs)

    def cluster_named(self, value):
        """The cluster a start URL names (?cluster=), or None when it names none; a 404 for anything else."""
        if not value:
            return None
        pk = whole_number(value)
        cluster = Cluster.objects.filter(lab=self.lab, pk=pk).first() if pk is not None else None
        if cluster is None:
            raise Http404("No such cluster in this lab.")
        return cluster

    def current(self):
        return self.wizard.step(self.draft.step) if self.draft else self.wizard.visible_steps(None)[0]

    def get(self, request, **kwargs):
        return self.render(self.current())

    def post(self, request, **kwargs):
        action = request.POST.get("action", "next")
        if action in ("cancel", "close"):
            return self.close(cancel=action == "cancel")
        if action == "create-cluster" and self.draft and self.draft.kind == "validate":
            return self.handoff("create-cluster", {"servers": {"names": self.draft.data["servers"]["names"]},
                                                   "from_validation": True}, "access")
        step = self.current()
        if step.key == self.wizard.progress_step:
            return self.render(step)
        if self.draft is None:
            self.draft = WizardDraft.objects.start(
                lab=self.lab, user=request.user, kind=self.wizard.kind, cluster=self.wizard.cluster, step=step.key,
                data={"subject": self.wizard.subject} if self.wizard.subject else {})
        if action == "previous":
            prev = self.wizard.neighbour(self.draft, step.key, -1)
            self.draft.step = prev or step.key
            self.draft.save()
            return self.render(self.wizard.step(self.draft.step))
        form = self.wizard.make_form(self.draft, step, request.POST)
        if form is not None and not form.is_valid():
            return self.render(step, form)
        self.wizard.store(self.draft, step, form)
        if step.key == "warning" and "yes" in (form.cleaned_data.get("run_validation"),
                                               form.cleaned_data.get("confirm")):
            self.draft.save()
            data = (self.wizard.warning_handoff(self.draft) if hasattr(self.wizard, "warning_handoff")
                    else {"servers": {"names": self.draft.data["servers"]["names"]}})
            return self.handoff("validate", data, "options")
        if step.key == self.wizard.confirm_step or action == "finish":
            self.draft.step = step.key
            self.draft.save()
            try:
                self.wizard.finish(self.draft)
            except EngineError as exc:
                return self.render(step, error=str(exc))
            return self.render(self.wizard.step(self.wizard.progress_step))
        self.draft.step = self.wizard.neighbour(self.draft, step.key, +1) or step.key
        self.draft.save()
        return self.render(self.wizard.step(self.draft.step))

    def handoff(self, kind, data, step_key):
        """Continue in another wizard (Validation Warning -> Validate; Summary -> Create Cluster)."""
        self.draft = WizardDraft.objects.start(lab=self.lab, user=self.request.user, kind=kind, step=step_key,
                                               data=data)
        self.wizard = WIZARDS[kind](self.lab, self.request.user, None)
        return self.render(self.wizard.step(step_key))

    def close(self, cancel):
        """Cancel changes nothing (a running validation stops, its finished tests kept)."""
        if self.draft is not None:
            op = self.draft.operation
            if cancel and op is not None and op.is_active and op.kind == Operation.Kind.VALIDATION:
                try:
                    cancel_validation(op)
                except EngineError:
                    pass
                return self.render(self.wizard.step(self.wizard.progress_step))
            if op is None:
                self.draft.cancelled = True
                self.draft.save(update_fields=["cancelled"])
        response = HttpResponse("")
        response["HX-Trigger"] = "wizardClosed"
        return response

    def render(self, step, form=None, error=""):
        draft = self.draft
        if form is None:
            form = self.wizard.make_form(draft, step)
        url = (reverse("wizards:draft", args=[self.lab.pk, draft.pk]) if draft else
               reverse("wizards:start", args=[self.lab.pk, self.wizard.kind]))
        op = draft.operation if draft else None
        steps = self.wizard.visible_steps(draft)
        context = {
            "lab": self.lab, "wizard": self.wizard, "draft": draft, "step": step, "form": form, "error": error,
            "steps": steps, "url": url, "operation": op, "cluster": self.wizard.cluster,
            "subject": self.wizard.subject,
            "is_first": steps[0].key == step.key, "is_progress": step.key == self.wizard.progress_step,
            "is_confirm": step.key == self.wizard.confirm_step, "sim_now": self.lab.sim_now(),
            **self.wizard.page_context(draft, step), **progress_context(op),
        }
        template = "wizards/dialog.html" if self.request.htmx else "wizards/page.html"
        return TemplateResponse(self.request, template, context)


def progress_context(op):
    """What the progress page of a wizard shows for its Operation."""
    if op is None:
        return {}
    op.refresh_from_db()
    ctx = {"operation": op, "phase_rows": phase_rows(op)}
    if op.kind == Operation.Kind.VALIDATION:
        report = ValidationReport.objects.filter(operation=op).first()
        ctx["report"] = report
        ctx["test_rows"] = validation_rows(op, report)
    return ctx


def phase_rows(op):
    rows = []
    for i, p in enumerate(op.phases, start=1):
        if op.state == Operation.State.COMPLETED or i < op.phase_index:
            status = PhaseStatus.COMPLETED
        elif i == op.phase_index and op.state == Operation.State.RUNNING:
            status = PhaseStatus.IN_PROGRESS
        elif op.state in (Operation.State.FAILED, Operation.State.CANCELLED):
            status = PhaseStatus.CANCELED
        else:
            status = PhaseStatus.PENDING
        rows.append({"name": p["name"], "status": status})
    return rows


def validation_rows(op, report):
    """Each test Pending → Running → its result, as the engine's clock passes it."""
    if report is None:
        return []
    rows = []
    done = len(report.results) if op.state != Operation.State.RUNNING else max(op.phase_index - 1, 0)
    for i, r in enumerate(report.results):
        if i < done or report.completed_at:
            status = TestStatus.coerce(r["status"]) or r["status"]
        elif i == done and op.state == Operation.State.RUNNING:
            status = TestStatus.RUNNING
        else:
            status = TestStatus.PENDING
        rows.append({"category": r["category"], "name": r["name"], "status": status})
    return rows


def render_operation_fragment(op):
    """The OOB piece the engine pushes when a wizard's operation moves."""
    ctx = {"operation": op, "oob": True, **progress_context(op),
           "running_title": {"add-node": "Configure the Cluster"}.get(op.kind, op.get_kind_display())}
    template = ({Operation.Kind.VALIDATION: "wizards/validate/_progress.html",
                 Operation.Kind.CREATE_CLUSTER: "wizards/create/_progress.html"}
                .get(op.kind, "wizards/_op_progress.html"))
    draft = WizardDraft.objects.filter(operation=op).select_related("lab").first()
    ctx.update(draft=draft, lab=op.lab)
    if op.kind == Operation.Kind.CREATE_CLUSTER and op.result.get("cluster"):
        ctx["created_cluster"] = Cluster.objects.filter(pk=op.result["cluster"]).select_related("domain").first()
    return render_to_string(template, ctx)


class ReportListView(LoginRequiredMixin, View):
    def get(self, request, lab):
        lab_obj = lab_for(request, lab)
        return TemplateResponse(request, "wizards/report_list.html", {
            "lab": lab_obj, "reports": ValidationReport.objects.filter(lab=lab_obj).select_related("cluster")})


class ReportView(LoginRequiredMixin, View):
    """The Failover Cluster Validation Report; ?download=1 saves it as one .htm file."""

    def get(self, request, lab, pk):
        lab_obj = lab_for(request, lab)
        report = get_object_or_404(ValidationReport.objects.select_related("cluster__domain"), lab=lab_obj, pk=pk)
        categories = {}
        for i, r in enumerate(report.results):
            categories.setdefault(r["category"], []).append({**r, "anchor": f"test-{i}"})
        summary = []
        for name, tests in categories.items():
            counts = {}
            for t in tests:
                counts[t["status"]] = counts.get(t["status"], 0) + 1
            worst = max((t["status"] for t in tests), key=lambda s: SEVERITY.index(s) if s in SEVERITY else 0)
            summary.append({"name": name, "worst": worst, "counts": counts, "anchor": f"cat-{len(summary)}"})
        html = render_to_string("wizards/report.html", {
            "report": report, "lab": lab_obj, "categories": categories.items(), "summary": summary,
            "standalone": request.GET.get("download") == "1"}, request=request)
        response = HttpResponse(html)
        if request.GET.get("download") == "1":
            response["Content-Disposition"] = f'attachment; filename="{report.file_name}"'
        return response


class OperationReportView(LoginRequiredMixin, View):
    """View Report of Create Cluster, Add Node and the quorum wizard (the product's .mht)."""

    def get(self, request, lab, pk):
        lab_obj = lab_for(request, lab)
        op = get_object_or_404(Operation.objects.select_related("cluster__domain", "requested_by"), lab=lab_obj,
                               pk=pk, kind__in=[Operation.Kind.CREATE_CLUSTER, Operation.Kind.ADD_NODE,
                                                Operation.Kind.CONFIGURE_QUORUM, Operation.Kind.CONFIGURE_ROLE,
                                                Operation.Kind.NEW_VM])
        return TemplateResponse(request, "wizards/operation_report.html", {
            "lab": lab_obj, "operation": op, "phase_rows": phase_rows(op)})
