"""Forms behind the console's search box and the Cluster Events query."""
from django import forms
from django.core.exceptions import ValidationError

from fcm.inventory.models import Cluster, ClusterEvent


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


class ClusterPropertiesForm(forms.ModelForm):
    """Heartbeat thresholds and (2016+) compute resiliency: the cluster common properties
    an administrator tunes with (Get-Cluster).<Property> = <value>.

    Ranges follow the failover clustering team's tuning guidance (fcm.md section 8.1).
    """

    RANGES = {
        "same_subnet_delay_ms": (250, 2000), "cross_subnet_delay_ms": (250, 4000),
        "same_subnet_threshold": (3, 120), "cross_subnet_threshold": (3, 120),
        "resiliency_period_s": (0, 3600), "quarantine_threshold": (0, 100), "quarantine_duration_s": (0, 86400),
    }
    #: The PowerShell property behind each field.
    PROPERTIES = {
        "same_subnet_delay_ms": "SameSubnetDelay", "same_subnet_threshold": "SameSubnetThreshold",
        "cross_subnet_delay_ms": "CrossSubnetDelay", "cross_subnet_threshold": "CrossSubnetThreshold",
        "resiliency_period_s": "ResiliencyDefaultPeriod", "quarantine_threshold": "QuarantineThreshold",
        "quarantine_duration_s": "QuarantineDuration",
    }

    class Meta:
        model = Cluster
        fields = ["same_subnet_delay_ms", "same_subnet_threshold", "cross_subnet_delay_ms",
                  "cross_subnet_threshold", "resiliency_period_s", "quarantine_threshold", "quarantine_duration_s"]
        labels = {
            "same_subnet_delay_ms": "Same subnet delay (ms)", "same_subnet_threshold": "Same subnet threshold",
            "cross_subnet_delay_ms": "Cross subnet delay (ms)", "cross_subnet_threshold": "Cross subnet threshold",
            "resiliency_period_s": "Resiliency default period (s)", "quarantine_threshold": "Quarantine threshold",
            "quarantine_duration_s": "Quarantine duration (s)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.version.order < 5:  # compute resiliency came with Windows Server 2016
            for name in ("resiliency_period_s", "quarantine_threshold", "quarantine_duration_s"):
                del self.fields[name]
        for name, field in self.fields.items():
            low, high = self.RANGES[name]
            field.help_text = f"{self.PROPERTIES[name]}, {low} to {high}"

    def clean(self):
        data = super().clean()
        for name in self.fields:
            value = data.get(name)
            low, high = self.RANGES[name]
            if value is not None and not low <= value <= high:
                self.add_error(name, f"{self.fields[name].label} must be from {low} to {high}.")
        return data
