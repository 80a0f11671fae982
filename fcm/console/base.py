"""What every console view stands on: loading the lab, cluster and role a URL names, the one
dialog frame, the one place an engine refusal becomes the message in the dialog, and the page.

A page (`ConsolePage`) is the three-pane console: tree, centre (list +
detail), Actions. One URL per thing a user can select, so back/forward,
reload and deep links all render the same page. A full request gets the
whole page; an htmx navigation gets only the `console` partial; a row
click (target `selection`) gets the detail pane plus the Actions pane out
of band. All three come from the same template, so they cannot drift
apart. A page is not a view: `ConsoleView` serves one at its URL, and a
dialog that changed the selected thing answers with the same page.
"""
import time

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils import timezone
from django.views import View
from django_htmx.http import HttpResponseClientRefresh, retarget

from fcm.engine.clock import CLOCK_SPEEDS
from fcm.engine.errors import EngineError
from fcm.training import panel as training
from fcm.wizards import signed_in

from . import menus, selectors
from .forms import SearchForm


# -- loading what a URL names -------------------------------------------------------------------

def lab_for(user, pk):
    """The lab `pk` if `user` may open it (their own, shared with them, ...: Lab.objects.visible_to);
    anything else is a 404, so a foreign lab looks like no lab."""
    return get_object_or_404(selectors.visible_labs(user), pk=pk)


def cluster_in(lab, pk):
    """Cluster `pk` of `lab` (with its domain and lab, which every cluster page shows); else a 404."""
    return get_object_or_404(selectors.clusters_shown(), lab=lab, pk=pk)


def role_in(cluster, pk):
    """Role `pk` of `cluster` with everything its details show; else a 404."""
    try:
        return selectors.role_detail(cluster, pk)
    except ObjectDoesNotExist:
        raise Http404("No such role.") from None


# -- dialogs ------------------------------------------------------------------------------------

def dialog(request, template, context):
    """A dialog, fetched into the page's dialog host (its OK posts back to the same URL)."""
    return retarget(TemplateResponse(request, template, {"error": "", **context}), "#dialog-host")


def close_dialog(response):
    """The answer to a dialog's OK: the details it changed, and the dialog gone."""
    response.render()
    response.content += b'<div id="dialog-host" hx-swap-oob="true"></div>'
    return response


def refused(command, form=None, field=None):
    """Run an engine command; what the product says when it refuses ("" when it was done).

    Every refusal is an EngineError whose message is the product's own sentence, and nothing
    changed. A dialog without a form shows it as its `error`; with a `form`, the message goes
    beside the field it is about (the refusal's `field` when the form has it, else `field`;
    None: above the form's fields)."""
    try:
        command()
    except EngineError as exc:
        if form is not None:
            about = getattr(exc, "field", None)
            form.add_error(about if about in form.fields else field, str(exc))
        return str(exc)
    return ""


class LabMixin(LoginRequiredMixin):
    """A dialog or action on a lab: `load()` the lab, answer with `dialog()`."""

    lab = cluster = role = None

    def load(self, request, lab):
        self.lab = lab_for(request.user, lab)
        return self.lab

    def dialog(self, request, template, error="", **context):
        return dialog(request, template, {"lab": self.lab, "cluster": self.cluster, "role": self.role,
                                          **context, "error": error})

    def error_dialog(self, request, title, error):
        """The product's error box: a refusal of something started from the Actions pane."""
        return self.dialog(request, "console/dialogs/error.html", title=title, error=error)


class ClusterMixin(LabMixin):
    """A dialog or action on a cluster (or something in it)."""

    def load(self, request, lab, cluster):
        super().load(request, lab)
        self.cluster = cluster_in(self.lab, cluster)
        return self.cluster

    def disk(self, pk):
        """A cluster disk of this cluster; else a 404."""
        try:
            return selectors.cluster_disk(self.cluster, pk)
        except ObjectDoesNotExist:
            raise Http404("No such disk.") from None

    def node(self, pk):
        """A node of this cluster; else a 404."""
        node = selectors.node_in(self.cluster, pk)
        if node is None:
            raise Http404("No such node.")
        return node

    def simulate(self, request, title, command, fault=True):
        """Run a Simulate / node action; a refusal opens the error dialog and changes nothing.
        Faults (`fault`) are the lab owner's to cause."""
        if fault and not self.lab.may_simulate(request.user):
            raise PermissionDenied("Only the lab's owner can simulate failures.")
        error = refused(command)
        if error:
            return self.error_dialog(request, title, error)
        return HttpResponseClientRefresh()


class RoleMixin(ClusterMixin):
    """A dialog or action on one role."""

    def load(self, request, lab, cluster, pk):
        super().load(request, lab, cluster)
        self.role = role_in(self.cluster, pk)
        return self.role


class VmRoleMixin(RoleMixin):
    """A dialog or action on a virtual machine role (moves, power, replication)."""

    def load(self, request, lab, cluster, pk):
        role = super().load(request, lab, cluster, pk)
        if getattr(role, "virtual_machine", None) is None:
            raise Http404("Only virtual machines move this way.")
        return role


# -- Hyper-V Manager's connection (fcm.wizards.signed_in keeps it) --------------------------------

def hyperv_connection(request, lab):
    """(pk, name) of the server this user's Hyper-V Manager is connected to in `lab`, or None."""
    return signed_in.server(request.session, lab)


def connect_hyperv(request, lab, node):
    signed_in.sign_in(request.session, lab, node)


def disconnect_hyperv(request, lab):
    signed_in.sign_out(request.session, lab)


# -- pages --------------------------------------------------------------------------------------

class ConsolePage:
    """One console page. Subclasses fill the centre and the actions."""

    template_name = "console/page.html"
    #: Which tree item is selected: root, servers, cluster, roles, nodes, ...
    tree_item = "root"
    centre_template = ""
    detail_template = ""

    def __init__(self, request, lab, cluster=None, tree_item=None):
        self.request, self.lab, self.cluster = request, lab, cluster
        if tree_item:
            self.tree_item = tree_item
        self.selected = None
        self.selection_only = False
        self.sim_now = lab.sim_now()

    @classmethod
    def respond(cls, request, lab, cluster=None, tree_item=None, **kwargs):
        """The page for a URL's `lab` and `cluster` pks and the selected row's `pk` (if any)."""
        #: Before any query: a push committed after this may be missing from the page (see lab-sync).
        rendered_at = time.time()
        lab = lab_for(request.user, lab)
        cluster = cluster_in(lab, cluster) if cluster is not None else None
        return cls(request, lab, cluster, tree_item).render_page(rendered_at, **kwargs)

    def render_page(self, rendered_at, **kwargs):
        request = self.request
        htmx = request.htmx
        #: A row click only needs the details and the Actions pane, not the list.
        self.selection_only = bool(htmx and htmx.target == "selection"
                                   and not htmx.history_restore_request and "pk" in kwargs)
        context = {
            "lab": self.lab,
            "sim_now": self.sim_now,
            "can_control_clock": True,
            "clock_speeds": CLOCK_SPEEDS,
            "tree_item": self.tree_item,
            "current_cluster": self.cluster,
            "here": request.get_full_path(),
            "rendered_at": f"{rendered_at:.3f}",
        }
        context["hyperv_connection"] = hyperv_connection(request, self.lab)
        context.update(self.centre_context(**kwargs))
        context["clusters"] = selectors.clusters_of(self.lab)
        context["console_version"] = selectors.console_version(self.lab, context["clusters"])
        context["console_name"] = context["console_version"].console_name
        context.setdefault("selected", self.selected)
        context["may_simulate"] = self.lab.may_simulate(request.user)
        context.update(training.console_context(self.lab, request.user))
        context["lab_health_notice"] = selectors.lab_health_notice(self.lab, timezone.now())
        context["action_groups"] = [] if context["read_only"] else menus.in_version(
            self.action_groups(context), self.cluster.version if self.cluster else context["console_version"])
        context["can_control_clock"] = not context["read_only"] and not context.get("trainer_clock")
        if not context["may_simulate"]:
            for group in context["action_groups"]:
                group.actions = [a for a in group.actions if not a.is_fault]
        return self.render(context)

    def centre_context(self, **kwargs):
        return {}

    def action_groups(self, context):
        return []

    def render(self, context):
        htmx = self.request.htmx
        template = self.template_name
        if htmx and not htmx.history_restore_request:
            if self.selection_only and self.selected is not None:
                template += "#selection-swap"
            else:
                template += "#console"
        context.update(centre_template=self.centre_template, detail_template=self.detail_template)
        response = TemplateResponse(self.request, template, context)
        patch_vary_headers(response, ["HX-Request", "HX-Target", "HX-History-Restore-Request"])
        return response

    def select(self, fetch):
        """Load the selected row through `fetch()`; a stale or foreign pk is a 404."""
        try:
            self.selected = fetch()
        except ObjectDoesNotExist:
            raise Http404("That item is not in this cluster or lab.") from None
        return self.selected


class ListPage(ConsolePage):
    """A page with a list: the search box and pagination every console list shares."""

    list_icon = ""
    list_title = ""

    def paginate(self, queryset):
        form = SearchForm(self.request.GET)
        q = form.cleaned_data["q"] if form.is_valid() else ""
        base = {"search_form": form, "q": q, "list_icon": self.list_icon,
                "list_title": self.list_title}
        if self.selection_only:
            return {**base, "page": None, "rows": [], "total": 0}
        paginator = Paginator(queryset(q) if callable(queryset) else queryset,
                              settings.FCM_PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        return {**base, "page": page, "rows": list(page.object_list), "total": paginator.count}

    def tabs(self, *tabs, default=None):
        """The detail pane's tabs (key, label); no ?tab=, or one this pane has not (an action's answer names the
        tab of another page's pane), shows `default` (else the first)."""
        keys = [key for key, _ in tabs]
        fallback = default if default in keys else keys[0]
        tab = self.request.GET.get("tab", fallback)
        return {"tab": tab if tab in keys else fallback, "tab_list": tabs}


class ConsoleView(LoginRequiredMixin, View):
    """Serves a console page at its URL (`as_view(page=..., tree_item=...)`, or a subclass naming them)."""

    page = ConsolePage
    #: The tree item to show selected when it is not the page's own (Storage shows the Disks page).
    tree_item = None

    def get(self, request, *args, **kwargs):
        return self.page.respond(request, tree_item=self.tree_item, **kwargs)
