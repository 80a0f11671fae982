"""Cluster Events: the list, its Query... filter, and an event's details."""
from . import menus, selectors
from .base import ConsoleView, ListPage
from .forms import EventQueryForm


def _without(querydict, *keys):
    q = querydict.copy()
    for key in keys:
        q.pop(key, None)
    return q.urlencode()


class EventsPage(ListPage):
    list_icon = "events"
    list_title = "Cluster Events"
    tree_item = "events"
    centre_template = "console/centre/events.html"
    detail_template = "console/detail/event.html"

    def centre_context(self, pk=None, **kwargs):
        nodes = list(selectors.nodes(self.cluster))
        form = EventQueryForm(self.request.GET or None, nodes=nodes)
        queryset = selectors.events(self.cluster)
        if form.is_bound and form.is_valid():
            queryset = form.apply(queryset)
        # An invalid query changes nothing: the list stays unfiltered and the
        # dialog reopens with the message beside the field.
        ctx = self.paginate(queryset)
        query_string = _without(self.request.GET, "page", "tab")
        ctx.update(query_form=form, query_invalid=form.is_bound and not form.is_valid(),
                   query_string=query_string, query_suffix=f"?{query_string}" if query_string else "")
        if pk is not None:
            self.select(lambda: selectors.event_detail(self.cluster, pk))
            ctx.update(self.tabs(("general", "General"), ("details", "Details")))
        return ctx

    def action_groups(self, context):
        return menus.for_events(self.cluster, context["here"], self.selected)


class EventsView(ConsoleView):
    page = EventsPage
