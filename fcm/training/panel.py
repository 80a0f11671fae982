"""What a console page adds for training: the Exercise panel, the class message, read-only modes."""
from .grading import panel_context
from .models import Trainee, TrainingSession


def console_context(lab, user):
    """Extra context for a console page of `lab` seen by `user` (three queries at most)."""
    operable = lab.may_operate(user)
    trainee = Trainee.objects.filter(lab=lab).select_related("session__demo_lab", "lab").first()
    context = {"read_only": not operable, "exercise_panel": None, "watching": None, "class_session": None}
    if trainee is not None:
        session = trainee.session
        context["class_session"] = session
        if trainee.user_id == user.pk:
            context["exercise_panel"] = panel_context(trainee)
            context["read_only"] = not session.is_open
        else:
            context["watching"] = trainee
            context["exercise_panel"] = panel_context(trainee)
        context["trainer_clock"] = True
        return context
    session = TrainingSession.objects.filter(demo_lab=lab).first()
    if session is not None:
        context["class_session"] = session
        context["following"] = not operable
    return context
