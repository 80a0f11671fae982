"""Who may act on a lab, checked once for every POST that names one, and what a trainee last did.

Every console and wizard URL that changes a lab carries its id (`lab`),
so refusing here covers them all: a trainer watching a trainee, a class
following the trainer's demo lab, a trainee whose session has ended or
who tries to set the clock the trainer controls. The refusal is the
console's own error dialog, where the user clicked.
"""
from django.template.response import TemplateResponse
from django.utils import timezone
from django_htmx.http import retarget

from fcm.engine.outbox import mark
from fcm.engine.models import Outbox
from fcm.inventory.models import Lab

from fcm.wizards.models import WizardDraft

from .models import TRAINERS_GROUP, Trainee


def trainee_of(lab_id, user):
    """The Trainee record when `lab_id` is `user`'s exercise lab."""
    return Trainee.objects.filter(lab_id=lab_id, user=user).select_related("session").first()


class LabAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        trainee = getattr(request, "fcm_trainee", None)
        if trainee is not None and response.status_code < 400:
            Trainee.objects.filter(pk=trainee.pk).update(last_action=_describe(request)[:200],
                                                         last_action_at=timezone.now())
            mark(trainee.lab_id, Outbox.Kind.EXERCISE)  # grade it now
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or "lab" not in view_kwargs or not request.user.is_authenticated:
            return None
        lab = Lab.objects.filter(pk=view_kwargs["lab"]).only("owner_id").first()
        if lab is None or not Lab.objects.visible_to(request.user).filter(pk=lab.pk).exists():
            return None  # the view answers 404
        if not lab.may_operate(request.user):
            return _refuse(request, "Read-only lab", "You are watching this lab: it is read-only.")
        trainee = trainee_of(lab.pk, request.user)
        if trainee is not None:
            if not trainee.session.is_open:
                return _refuse(request, "Session ended", "The training session has ended: your lab is read-only now.")
            if request.resolver_match.url_name == "clock":
                return _refuse(request, "Clock", "The trainer sets the clock for the whole class.")
            request.fcm_trainee = trainee
        return None


def _describe(request):
    """A short line for the trainer's 'last action' column: the console's own words where it has them."""
    match = request.resolver_match
    words = match.url_name.replace("-", " ").capitalize() if match and match.url_name else request.path
    if match and match.app_name == "wizards" and match.url_name in ("start", "draft"):
        kind = match.kwargs.get("kind") or WizardDraft.objects.filter(pk=match.kwargs.get("draft")).values_list(
            "kind", flat=True).first() or ""
        words = f"Wizard {kind.replace('-', ' ')}".strip()
    detail = (request.POST.get("action") or request.GET.get("action") or request.POST.get("kind")
              or match.kwargs.get("kind", ""))
    return " - ".join(part for part in (words, str(detail).replace("-", " ")) if part)


def _refuse(request, title, message):
    response = TemplateResponse(request, "console/dialogs/error.html", {"title": title, "error": message},
                                status=200 if request.htmx else 403)
    return retarget(response, "#dialog-host") if request.htmx else response


def is_trainer(user):
    """Trainers (the Trainers group) and administrators run training sessions."""
    return user.is_authenticated and (user.is_superuser or user.groups.filter(name=TRAINERS_GROUP).exists())
