"""The trainer's table, row by row: a row is drawn again only when what it shows has changed.

The engine pushes the whole table (a trainee who just joined has no row to replace yet) after
every pass in which a trainee's lab changed, and again the moment one meets an objective. Drawn
whole each time, a class of N trainees draining at once costs N rows N times over. Each row's
HTML is therefore kept with the values it was drawn from: every stored field of the trainee and
what the session adds (its objectives, whether it is open, its links); a row whose values are
the same as last time is reused, any difference draws it again.
"""
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string

from .models import Trainee

#: Rows kept per process; past it the store starts again (a row costs one drawing to come back).
LIMIT = 5000

_kept = {}


def row_html(trainee, session_key, context):
    """The row of `trainee`; `session_key` names what the session contributes, `context(trainee)`
    gives the template's context when the row must be drawn."""
    key = (session_key, values_of(trainee))
    kept = _kept.get(trainee.pk)
    if kept is not None and kept[0] == key:
        return kept[1]
    html = render_to_string("training/_trainee_row.html", context(trainee))
    if len(_kept) >= LIMIT:
        _kept.clear()
    _kept[trainee.pk] = (key, html)
    return html


def values_of(trainee):
    """Every stored field of the trainee, as text (a JSON field changed in place still compares unequal)."""
    return json.dumps([f.value_from_object(trainee) for f in Trainee._meta.concrete_fields],
                      cls=DjangoJSONEncoder, sort_keys=True)


def forget():
    """Drop every kept row (tests that compare a drawn table with a fresh one)."""
    _kept.clear()
