from django import forms

from fcm.engine.clock import CLOCK_SPEEDS

from . import catalogue
from .catalogue import FAULT_KINDS
from .models import CODE_LENGTH, DEFAULT_CLASS_SIZE, MAX_CLASS_SIZE, OLD_CODE_LENGTH

CLASS_SIZE_ERRORS = {"required": "Type how many trainees may join.", "invalid": "Type a whole number.",
                     "min_value": f"Choose a class size from 1 to {MAX_CLASS_SIZE}.",
                     "max_value": f"Choose a class size from 1 to {MAX_CLASS_SIZE}."}


def class_size_field(**kwargs):
    return forms.IntegerField(label="Class size", min_value=1, max_value=MAX_CLASS_SIZE,
                              error_messages=CLASS_SIZE_ERRORS, **kwargs)


class JoinForm(forms.Form):
    code = forms.CharField(label="Session code", max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false"}))
    name = forms.CharField(label="Your name", max_length=40, help_text="As the trainer will see it.",
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split()).upper()
        if len(code) not in (CODE_LENGTH, OLD_CODE_LENGTH):
            raise forms.ValidationError(f"The code has {CODE_LENGTH} letters and digits, as shown by your trainer.")
        return code


class StartForm(forms.Form):
    scenario = forms.ChoiceField(label="Exercise")
    class_size = class_size_field(initial=DEFAULT_CLASS_SIZE, required=False,
                                  help_text=f"How many trainees may join ({DEFAULT_CLASS_SIZE} if left empty); "
                                            "you can change it while the class runs.")
    values_seed = forms.CharField(
        label="Repeat values", required=False, max_length=40,
        help_text="Optional: a word. Every class started with the same word gives its 1st, 2nd, ... trainee the "
                  "same names and addresses.")

    def clean_values_seed(self):
        word = self.cleaned_data["values_seed"].strip()
        if word and not word.replace("-", "").isalnum():
            raise forms.ValidationError("Use letters, digits and hyphens only.")
        return word

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [(name, ex["title"]) for name, ex in catalogue.catalogue()]


class ClassSizeForm(forms.Form):
    class_size = class_size_field()


class BroadcastForm(forms.Form):
    text = forms.CharField(label="Message to the class", max_length=500,
                           error_messages={"required": "Type the message to send."})


class ClockForm(forms.Form):
    speed = forms.TypedChoiceField(coerce=float, choices=[(0, "Pause")] + [(s, f"x{s}") for s in CLOCK_SPEEDS])


class InjectForm(forms.Form):
    fault = forms.ChoiceField(label="Failure")
    target = forms.ChoiceField(label="In")

    def __init__(self, *args, targets=None, trainees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fault"].choices = [("", "Choose a failure...")] + [
            (label, [(f"{kind}|{name}", f"{name}") for name in targets.get(kind, [])])
            for kind, (_, label) in FAULT_KINDS.items() if targets.get(kind)]
        self.fields["target"].choices = [("all", "Every trainee's lab")] + [
            (str(t.pk), f"{t.display_name}'s lab") for t in trainees]
        self.fields["fault"].error_messages["required"] = "Choose the failure to cause."

    def clean_fault(self):
        kind, _, name = self.cleaned_data["fault"].partition("|")
        return kind, name


KEEP_OR_REMOVE = [("keep", "Keep"), ("remove", "Remove")]


class EndSessionForm(forms.Form):
    """Ending a session (or, once it has ended, tidying up): keep or remove its labs."""

    demo_lab = forms.ChoiceField(
        label="Your demo lab", widget=forms.RadioSelect, initial="keep",
        choices=[("keep", "Keep it"), ("remove", "Remove it")],
        error_messages={"required": "Choose whether to keep or remove your demo lab."})
    trainee_labs = forms.ChoiceField(
        label="The trainees' labs", widget=forms.RadioSelect, initial="keep",
        choices=[("keep", "Keep them for review (read-only)"),
                 ("remove", "Remove them (results, hints and timelines stay)")],
        error_messages={"required": "Choose whether to keep or remove the trainees' labs."})

    def removing(self):
        """(remove the demo lab, remove the trainees' labs)"""
        return self.cleaned_data["demo_lab"] == "remove", self.cleaned_data["trainee_labs"] == "remove"
