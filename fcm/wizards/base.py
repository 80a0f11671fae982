"""The wizard step machine shared by every wizard (hand-rolled: see docs/wizards.md).

A wizard is a list of steps (key, title, form, template, when it shows).
State is a WizardDraft row keyed by a UUID in the URL; every transition is
a POST answered with the next step's dialog; Finish starts an Operation
once (a conditional UPDATE makes a double click harmless) and the dialog
turns into the live progress page, then the Summary.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

from django import forms
from django.db import transaction

from .models import WizardDraft


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    template: str
    form_class: Optional[type] = None
    #: Whether the step shows for this draft (e.g. Test Selection only when chosen).
    show: Callable = field(default=lambda wizard, draft: True, compare=False)


class Wizard:
    kind = ""
    title = ""
    icon = "cluster"
    steps: list = []
    #: The step that starts the Operation when the user presses Next/Finish on it.
    confirm_step = "confirmation"
    progress_step = "progress"
    #: The confirm step's button: "Next >" unless the product says otherwise ("Finish" on a Completing page).
    confirm_label = ""

    #: The user's session (fcm.wizards.signed_in: the server they work on), set by the view.
    session = None

    def __init__(self, lab, user, cluster=None, subject=None):
        #: `subject`: the object a wizard started from works on (Enable Replication: the VM's role).
        self.lab, self.user, self.cluster, self.subject = lab, user, cluster, subject

    def available(self):
        """Whether the wizard can run for its cluster and subject (a 404 otherwise)."""
        return True

    # -- steps -----------------------------------------------------------------
    def visible_steps(self, draft):
        return [s for s in self.steps if s.show(self, draft)]

    def step(self, key):
        return next(s for s in self.steps if s.key == key)

    def neighbour(self, draft, key, offset):
        keys = [s.key for s in self.visible_steps(draft)]
        i = keys.index(key) + offset
        return keys[i] if 0 <= i < len(keys) else None

    # -- forms -------------------------------------------------------------------
    def form_kwargs(self, draft, step):
        return {}

    def make_form(self, draft, step, data=None):
        if step.form_class is None:
            return None
        initial = (draft.data.get(step.key) if draft else None) or self.initial(draft, step)
        return step.form_class(data=data, initial=initial, **self.form_kwargs(draft, step))

    def initial(self, draft, step):
        return {}

    def store(self, draft, step, form):
        """Keep a step's cleaned data (JSON values only)."""
        if form is not None:
            draft.data[step.key] = {k: _jsonable(v) for k, v in form.cleaned_data.items()}

    def context(self, draft, step):
        return {}

    #: The line is a Hyper-V module cmdlet (New-VM, ...): a console before 2012 has none to show.
    hyperv_cmdlets = False

    def version_order(self, draft):
        """The version whose tools the wizard's command line is for: its cluster's by default."""
        return self.cluster.version.order if self.cluster else 3

    def cluster_exe(self, draft, step):
        """The cluster.exe line a 2008 admin types instead of the PowerShell one ('' when 2008 has none)."""
        return ""

    def page_context(self, draft, step):
        """`context`, its command line in the version's own tool: PowerShell from 2008 R2 (the Hyper-V
        module's cmdlets from 2012), cluster.exe on 2008, none where that version has no equivalent."""
        ctx = self.context(draft, step)
        if not ctx.get("powershell"):
            return ctx
        order = self.version_order(draft)
        if self.hyperv_cmdlets and order < 3:
            ctx.pop("powershell")
        elif order < 2:
            line = self.cluster_exe(draft, step)
            if line:
                ctx.update(powershell=line, shell="cluster.exe")
            else:
                ctx.pop("powershell")
        return ctx

    # -- finishing ------------------------------------------------------------------
    def start_operation(self, draft):
        """Start and return the Operation the wizard ends with (each wizard defines it)."""
        raise TypeError(f"{type(self).__name__} defines no operation")

    def finish(self, draft):
        """Start the wizard's Operation exactly once for this draft."""
        with transaction.atomic():
            draft.refresh_from_db()
            if draft.operation_id:
                return draft.operation
            op = self.start_operation(draft)
            confirm = self.page_context(draft, self.step(self.confirm_step))
            line = confirm.get("powershell")
            if line:  # the Summary page shows the command line too
                op.plan = {**op.plan, "powershell": line, "shell": confirm.get("shell", "PowerShell")}
                type(op).objects.filter(pk=op.pk).update(plan=op.plan)
            claimed = WizardDraft.objects.filter(pk=draft.pk, operation__isnull=True).update(
                operation=op, step=self.progress_step)
            if not claimed:  # another request won; keep its operation
                transaction.set_rollback(True)
                draft.refresh_from_db()
                return draft.operation
            draft.operation, draft.step = op, self.progress_step
        return op


def _jsonable(value):
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return value


class NamesField(forms.CharField):
    """'S1, S2; S3' -> ['S1', 'S2', 'S3'] (the product accepts commas and semicolons)."""

    def to_python(self, value):
        value = super().to_python(value) or ""
        names = [n.strip() for n in value.replace(";", ",").split(",") if n.strip()]
        return list(dict.fromkeys(names))
