"""Trainer pages (catalogue, dashboard, class controls, export) and trainee pages (join, hints, replay)."""
import csv
import io

import segno
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.cache import never_cache
from django.utils.decorators import method_decorator

from fcm.engine.clock import CLOCK_SPEEDS
from fcm.inventory.throttle import Limit, client_address, count_failure, too_many, wait_seconds
from fcm.inventory.models import ClusterEvent

from . import catalogue, classroom, grading
from .access import is_trainer
from .forms import BroadcastForm, ClassSizeForm, ClockForm, EndSessionForm, InjectForm, JoinForm, StartForm
from .models import AuditEntry, JoinRefusal, TimelineFrame, Trainee, TrainingSession

#: Wrong join codes allowed per address in ten minutes before it must wait. A class often shares one
#: address (NAT): 200 lets 40 trainees mistype five times each. Guessing stays hopeless: a code is one
#: of 31**8 (about 8.5e11), so one address trying 200 every ten minutes (28,800 a day) while 100
#: sessions are open finds one with a chance of about 28,800 x 100 / 8.5e11, some 3 in a million a day.
JOIN_GUESSES = Limit("training-join", "200/10m")


class TrainerMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Trainer pages: the Trainers group (or an administrator); a trainee is refused (403)."""

    raise_exception = False

    def test_func(self):
        return is_trainer(self.request.user)

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            self.raise_exception = True
        return super().handle_no_permission()

    def session(self, pk):
        sessions = TrainingSession.objects.all() if self.request.user.is_superuser else \
            TrainingSession.objects.filter(trainer=self.request.user)
        return get_object_or_404(sessions.select_related("demo_lab"), pk=pk)


class SessionListView(TrainerMixin, View):
    def get(self, request, form=None):
        """The catalogue and the trainer's sessions; an administrator sees every trainer's."""
        sessions = TrainingSession.objects.all() if request.user.is_superuser else \
            TrainingSession.objects.filter(trainer=request.user)
        return TemplateResponse(request, "training/sessions.html", {
            "form": form or StartForm(), "catalogue": catalogue.catalogue(),
            "sessions": sessions.annotate(trainee_count=Count("trainees")).select_related("demo_lab", "trainer")[:50]})

    def post(self, request):
        form = StartForm(request.POST)
        if not form.is_valid():
            return self.get(request, form)
        session = classroom.start_session(request.user, form.cleaned_data["scenario"],
                                          values_seed=form.cleaned_data["values_seed"],
                                          class_size=form.cleaned_data["class_size"])
        AuditEntry.record(request, "start session", session, f"{session.scenario} ({session.code})")
        return redirect("training:dashboard", session.pk)


def join_url(request, session):
    return request.build_absolute_uri(reverse("training:join-code", args=[session.code]))


def chosen_trainee(request, session):
    """The trainee `?trainee=` names in this session (None when it names no one); a trainee of another
    session, or anything that is not an id, is a 404."""
    value = request.GET.get("trainee", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise Http404("No such trainee.")
    return get_object_or_404(session.trainees.all(), pk=int(value))


class DashboardView(TrainerMixin, View):
    def get(self, request, pk):
        session = self.session(pk)
        return TemplateResponse(request, "training/dashboard.html", self.context(
            request, session, trainee_table=grading.trainee_table(session, oob=False),
            solution=grading.solution_context(session, chosen_trainee(request, session))))

    @staticmethod
    def context(request, session, **extra):
        trainees = list(session.trainees.select_related("lab"))
        return {"session": session, "join_url": join_url(request, session), "trainees": trainees,
                "inject_form": extra.pop("inject_form", None) or InjectForm(
                    targets=classroom.fault_targets(session), trainees=trainees),
                "broadcast_form": extra.pop("broadcast_form", None) or BroadcastForm(),
                "size_form": extra.pop("size_form", None) or ClassSizeForm(initial={"class_size": session.class_size}),
                **grading.joining_context(session, len(trainees)),
                "end_form": extra.pop("end_form", None) or EndSessionForm(),
                "trainee_labs": sum(1 for t in trainees if t.lab_id),
                "clock_speeds": CLOCK_SPEEDS, "now": timezone.now(), **extra}


class SolutionView(TrainerMixin, View):
    """The exercise's solution on the dashboard, with one trainee's names (`?trainee=`) or the variables'."""

    def get(self, request, pk):
        session = self.session(pk)
        return TemplateResponse(request, "training/_solution.html",
                                {"solution": grading.solution_context(session, chosen_trainee(request, session))})


class QrCodeView(TrainerMixin, View):
    """The join URL as a QR code (SVG) to put on the projector."""

    def get(self, request, pk):
        session = self.session(pk)
        out = io.BytesIO()
        segno.make(join_url(request, session), error="m").save(out, kind="svg", scale=6, border=2)
        return HttpResponse(out.getvalue(), content_type="image/svg+xml")


def controls(request, session, **extra):
    """The dashboard's controls again, with a notice or an error at the control that was used."""
    return TemplateResponse(request, "training/_controls.html", DashboardView.context(request, session, **extra))


class SessionActionView(TrainerMixin, View):
    """The dashboard's controls. Each answers with the controls again, a message at the control used."""

    def post(self, request, pk, action):
        session = self.session(pk)
        handler = getattr(self, f"do_{action.replace('-', '_')}", None)
        if handler is None:
            raise Http404("No such action.")
        if not session.is_open and action not in self.AFTER_THE_END:
            return controls(request, session, error="This session has ended.")
        return handler(request, session)

    #: What a trainer may still do once the session has ended.
    AFTER_THE_END = ("remove-labs",)

    def do_broadcast(self, request, session):
        form = BroadcastForm(request.POST)
        if not form.is_valid():
            return controls(request, session, broadcast_form=form)
        classroom.broadcast(session, form.cleaned_data["text"])
        AuditEntry.record(request, "broadcast", session, form.cleaned_data["text"])
        return controls(request, session, notice="Message sent to the class.")

    def do_clock(self, request, session):
        form = ClockForm(request.POST)
        if not form.is_valid():
            return controls(request, session, clock_error="Choose pause or one of the speeds.")
        classroom.set_clocks(session, form.cleaned_data["speed"])
        speed = form.cleaned_data["speed"]
        AuditEntry.record(request, "clock", session, "paused" if not speed else f"x{speed:g}")
        return controls(request, session, notice="Every lab's clock is paused." if not speed else
                             f"Every lab's clock runs at x{speed:g}.")

    def do_inject(self, request, session):
        trainees = list(session.trainees.select_related("lab").filter(lab__isnull=False))
        form = InjectForm(request.POST, targets=classroom.fault_targets(session), trainees=trainees)
        if not form.is_valid():
            return controls(request, session, inject_form=form)
        kind, name = form.cleaned_data["fault"]
        chosen = trainees if form.cleaned_data["target"] == "all" else \
            [t for t in trainees if str(t.pk) == form.cleaned_data["target"]]
        try:
            results = classroom.inject(session, request.user, kind, name, chosen)
        except classroom.ClassroomError as exc:
            form.add_error("fault", str(exc))
            return controls(request, session, inject_form=form)
        done = [t.display_name for t, error in results if not error]
        AuditEntry.record(request, "inject fault", session, f"{kind} {name} in " + "; ".join(
            f"{t.display_name}: {error or 'done'}" for t, error in results))
        refused = [f"{t.display_name}: {error}" for t, error in results if error]
        return controls(request, session, notice=(
            f"{catalogue.FAULT_KINDS[kind][1]} ({name}) in {len(done)} lab{'s' if len(done) != 1 else ''}"
            + (f": {', '.join(done)}." if done else ".")), inject_refused=refused)

    def do_class_size(self, request, session):
        form = ClassSizeForm(request.POST)
        if form.is_valid():
            try:
                size = classroom.set_class_size(session, form.cleaned_data["class_size"])
            except classroom.ClassroomError as exc:
                form.add_error("class_size", str(exc))
            else:
                AuditEntry.record(request, "class size", session, str(size))
                return controls(request, self.session(session.pk), notice=f"The class takes {size} trainees.")
        return controls(request, session, size_form=form)

    def do_lock(self, request, session):
        if classroom.set_joining(session, locked=True):
            AuditEntry.record(request, "lock joining", session)
        return controls(request, self.session(session.pk), notice="Joining is locked: the code admits no one new.")

    def do_reopen(self, request, session):
        if classroom.set_joining(session, locked=False):
            AuditEntry.record(request, "reopen joining", session)
        return controls(request, self.session(session.pk), notice="Joining is open again.")

    def do_end(self, request, session):
        """End the session, keeping or removing its labs as the confirmation form says."""
        form = EndSessionForm(request.POST)
        if not form.is_valid():
            return controls(request, session, end_form=form)
        demo, trainees = form.removing()
        try:
            removed = classroom.end(session, remove_demo_lab=demo, remove_trainee_labs=trainees)
        except classroom.ClassroomError as exc:
            return controls(request, session, error=str(exc))
        session = self.session(session.pk)
        AuditEntry.record(request, "end session", session, _removal(demo, trainees, removed))
        return controls(request, session, notice="The session has ended. The join code no longer works. "
                        + _removal(demo, trainees, removed))

    def do_remove_labs(self, request, session):
        """Once the session has ended: remove the labs that were kept."""
        if session.is_open:
            return controls(request, session, error="End the session before removing its labs.")
        form = EndSessionForm(request.POST)
        if not form.is_valid():
            return controls(request, session, end_form=form)
        demo, trainees = form.removing()
        try:
            removed = classroom.remove_labs(session, demo, trainees)
        except classroom.ClassroomError as exc:
            return controls(request, session, error=str(exc))
        session = self.session(session.pk)
        AuditEntry.record(request, "remove labs", session, _removal(demo, trainees, removed))
        return controls(request, session, notice=_removal(demo, trainees, removed))


def _removal(demo, trainees, removed):
    """What became of the session's labs, in a sentence."""
    if not (demo or trainees):
        return "Every lab is kept for review."
    what = {(True, True): "Your demo lab and the trainees' labs", (True, False): "Your demo lab",
            (False, True): "The trainees' labs"}[demo, trainees]
    kept = {(True, False): " The trainees' labs are kept for review.",
            (False, True): " Your demo lab is kept."}.get((demo, trainees), "")
    return f"{what} {'was' if (demo, trainees) == (True, False) else 'were'} removed " \
           f"({removed} lab{'s' if removed != 1 else ''}).{kept}"


class TraineeActionView(TrainerMixin, View):
    def post(self, request, pk, trainee):
        session = self.session(pk)
        t = get_object_or_404(session.trainees, pk=trainee)
        classroom.reset(t)
        AuditEntry.record(request, "reset lab", session, t.display_name)
        return controls(request, session, notice=f"{t.display_name}'s lab was reset.")


class ExportView(TrainerMixin, View):
    """Results as CSV: one row per trainee, the time each objective was met (minutes:seconds after start)."""

    def get(self, request, pk):
        session = self.session(pk)
        AuditEntry.record(request, "export results", session)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{session.scenario}-{session.code}-results.csv"'
        writer = csv.writer(response)
        objectives = session.objectives
        writer.writerow(["Trainee", "Progress %", "Finished", "Time", "Hints used", "Next steps shown"]
                        + session.objective_texts)
        for t in session.trainees.all():
            rows = {r["id"]: r for r in grading.objective_rows(t)}
            end = t.finished_at or timezone.now()
            seconds = int((end - t.started_at).total_seconds())
            writer.writerow([_csv_safe(t.display_name), t.progress, "yes" if t.finished_at else "no",
                             f"{seconds // 60}:{seconds % 60:02d}", t.hints_taken, len(t.steps_shown)]
                            + [rows[o["id"]]["after"] if rows[o["id"]]["met"] else "" for o in objectives])
        return response


def _csv_safe(text):
    """A name typed by a trainee must not run as a formula in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# -- trainees ------------------------------------------------------------------------------------

@method_decorator(never_cache, name="dispatch")
class JoinView(View):
    def get(self, request, code=""):
        mine = self.current(request)
        if mine is not None:  # the join link opened again (a closed tab): back to their own lab
            return redirect("console:root", mine.lab_id)
        return TemplateResponse(request, "training/join.html", {"form": JoinForm(initial={"code": code})})

    @staticmethod
    def current(request):
        """The visitor's place in a session that is still open, if they have one."""
        if not request.user.is_authenticated:
            return None
        trainee = Trainee.objects.filter(user=request.user, lab__isnull=False).select_related("session").first()
        return trainee if trainee is not None and trainee.session.is_open else None

    def post(self, request, code=""):
        form = JoinForm(request.POST)
        seconds = wait_seconds(request, JOIN_GUESSES)
        if seconds:
            form.add_error("code", too_many(seconds))
            return TemplateResponse(request, "training/join.html", {"form": form}, status=429)
        if form.is_valid():
            typed = form.cleaned_data["code"]
            session = TrainingSession.objects.open().filter(code=typed).first()
            if session is None:
                self.wrong_code(request, typed)
                form.add_error("code", "No session is open with this code. Check it with your trainer.")
            else:
                try:
                    trainee = classroom.join(session, form.cleaned_data["name"])
                except classroom.JoinRefused as exc:
                    classroom.record_refusal(session, client_address(request, network=False), exc.reason)
                    form.add_error("code", str(exc))
                except classroom.ClassroomError as exc:
                    form.add_error("name", str(exc))
                else:
                    login(request, trainee.user, backend="django.contrib.auth.backends.ModelBackend")
                    return redirect("console:root", trainee.lab_id)
        return TemplateResponse(request, "training/join.html", {"form": form}, status=200)

    @staticmethod
    def wrong_code(request, typed):
        """Count it against the address; the trainer of a class whose code it nearly is sees it."""
        count_failure(request, JOIN_GUESSES)
        near = classroom.near_code(typed, TrainingSession.objects.open().only("pk", "code", "demo_lab_id"))
        if near is not None:
            classroom.record_refusal(near, client_address(request, network=False),
                                     JoinRefusal.Reason.WRONG_CODE, typed)


class HintView(LoginRequiredMixin, View):
    def post(self, request):
        trainee = Trainee.objects.filter(user=request.user).select_related("session", "lab").first()
        if trainee is None:
            raise Http404("You are not in a training session.")
        if trainee.session.is_open:
            trainee = classroom.reveal_hint(trainee)
        trainee = Trainee.objects.select_related("session__demo_lab", "lab").get(pk=trainee.pk)
        return TemplateResponse(request, "training/_exercise.html", {"panel": grading.panel_context(trainee)})


class NextStepView(LoginRequiredMixin, View):
    """"Show me the next step": the solution steps of the trainee's next objective, counted as a hint."""

    def post(self, request):
        trainee = Trainee.objects.filter(user=request.user).select_related("session", "lab").first()
        if trainee is None:
            raise Http404("You are not in a training session.")
        shown = request.POST.get("shown", "")
        valid = shown.isascii() and shown.isdigit() and len(shown) < 6
        classroom.reveal_next_step(trainee, int(shown) if valid else None)
        trainee = Trainee.objects.select_related("session__demo_lab", "lab").get(pk=trainee.pk)
        return TemplateResponse(request, "training/_exercise.html", {"panel": grading.panel_context(trainee)})


class MyLabView(LoginRequiredMixin, View):
    """A trainee's current lab (it changes when the trainer resets it)."""

    def get(self, request):
        trainee = Trainee.objects.filter(user=request.user, lab__isnull=False).first()
        return redirect("console:root", trainee.lab_id) if trainee else redirect("console:lab-list")


class ReplayView(LoginRequiredMixin, View):
    """The exercise's timeline: scrub to a moment and see the roles, nodes, objectives and events then."""

    def get(self, request, pk):
        trainee = get_object_or_404(Trainee.objects.select_related("session", "lab"), pk=pk)
        user = request.user
        if not (user.pk == trainee.user_id or user.is_superuser or user.pk == trainee.session.trainer_id):
            raise Http404("No such exercise.")
        frames = list(TimelineFrame.objects.filter(trainee=trainee).values_list("pk", flat=True))
        if not frames:
            return TemplateResponse(request, "training/replay.html", {"trainee": trainee, "frame": None})
        try:
            index = min(max(int(request.GET.get("frame", len(frames))), 1), len(frames))
        except ValueError:
            index = len(frames)
        frame = TimelineFrame.objects.get(pk=frames[index - 1])
        previous_event = 0
        if index > 1:
            previous_event = TimelineFrame.objects.filter(pk=frames[index - 2]).values_list(
                "last_event_id", flat=True).first() or 0
        events = list(ClusterEvent.objects.filter(lab_id=trainee.lab_id, pk__gt=trainee.first_event_id,
                                                  pk__lte=frame.last_event_id).select_related("node")
                      .order_by("-sim_time", "-pk")[:200]) if trainee.lab_id else []
        rows = grading.objective_rows(trainee)
        met = set(frame.state["met"])
        context = {"trainee": trainee, "frame": frame, "index": index, "count": len(frames), "events": events,
                   "new_after": previous_event, "objectives": [{**r, "met": r["id"] in met} for r in rows],
                   "elapsed": grading.elapsed(trainee.started_at, frame.at)}
        template = "training/replay.html#frame" if request.htmx else "training/replay.html"
        return TemplateResponse(request, template, context)
