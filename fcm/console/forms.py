"""Forms behind the console's search box and the Cluster Events query."""
from django import forms
from django.core.exceptions import ValidationError

from fcm.inventory.models import ClusterEvent


class SearchForm(forms.Form):
    """The search box above every list: a case-insensitive name filter."""

    q = forms.CharField(required=False, max_length=100, strip=True, label="Search")


def _parse_event_ids(value):
    """'1135, 1069 1177' -> [1135, 1069, 1177]; a clear error for anything else."""
    ids = []
    for part in value.replace(",", " ").split():
        if not part.isdigit() or not 0 < int(part) < 65536:
            raise ValidationError(
                f"'{part}' is not an event ID. Type numbers from 1 to 65535, separated by commas.",
                code="invalid_event_id",
            )
        ids.append(int(part))
    return ids


class EventQueryForm(forms.Form):
    """Cluster Events -> Query...: levels, event IDs, node, role, dates, text."""

    level = forms.TypedMultipleChoiceField(
        choices=ClusterEvent.Level.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple, label="Event level",
    )
    event_id = forms.CharField(
        required=False, max_length=200, label="Event IDs",
        help_text="Separate IDs with commas, e.g. 1069, 1135",
    )
    node = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Node")
    role = forms.IntegerField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=100, strip=True, label="Description contains")
    since = forms.DateTimeField(required=False, label="Events on or after",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(required=False, label="Events on or before",
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = [("", "All nodes")] + [(n.pk, n.name) for n in nodes]

    def clean_event_id(self):
        return _parse_event_ids(self.cleaned_data["event_id"])

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the period is before its start.")
        return data

    def apply(self, queryset):
        data = self.cleaned_data
        if data.get("level"):
            queryset = queryset.filter(level__in=data["level"])
        if data.get("event_id"):
            queryset = queryset.filter(event_id__in=data["event_id"])
        if data.get("node"):
            queryset = queryset.filter(node_id=data["node"])
        if data.get("role"):
            queryset = queryset.filter(role_id=data["role"])
        if data.get("q"):
            queryset = queryset.filter(description__icontains=data["q"])
        if data.get("since"):
            queryset = queryset.filter(sim_time__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(sim_time__lte=data["until"])
        return queryset

    @property
    def is_filtered(self):
        return self.is_bound and self.is_valid() and any(
            self.cleaned_data.get(k) for k in ("level", "event_id", "node", "role", "q", "since", "until")
        )
