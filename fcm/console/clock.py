"""The lab clock in the status bar: pause, resume, change its speed (sim time stays continuous)."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.template.response import TemplateResponse
from django.views import View

from fcm.engine.commands import properties
from fcm.engine.clock import CLOCK_SPEEDS

from .base import lab_for, refused
from .forms import ClockForm


class ClockView(LoginRequiredMixin, View):
    """Pause, resume or change the speed of the lab's clock; answers with the clock as it now runs."""

    def post(self, request, lab):
        lab_obj = lab_for(request.user, lab)
        form = ClockForm(request.POST)
        error = ""
        if form.is_valid() and (form.cleaned_data["action"] or form.cleaned_data["speed"]):
            speed = form.cleaned_data["speed"]
            if not speed:
                speed = 0 if form.cleaned_data["action"] == "pause" else None
            error = refused(lambda: properties.set_clock(lab_obj, speed))
        else:
            error = "Choose pause, resume or one of the speeds " + ", ".join(f"x{s}" for s in CLOCK_SPEEDS) + "."
        return TemplateResponse(request, "console/_clock.html", {
            "lab": lab_obj, "sim_now": lab_obj.sim_now(), "can_control_clock": True,
            "clock_speeds": CLOCK_SPEEDS, "clock_error": error})
