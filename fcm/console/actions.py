"""The Actions pane (and the right-click menu, which shows the same list).

Only actions whose capability exists are listed: the product's other
actions appear here as the issues that build them land. An action is
either a navigation (`url`, swapped into the console with htmx), a report
opened in a new window (`new_window`), or a dialog already in the page
(`dialog`, the element id to open).
"""
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse


@dataclass(frozen=True)
class Action:
    label: str
    icon: str
    url: str = ""
    dialog: str = ""
    new_window: bool = False


@dataclass
class ActionGroup:
    title: str
    actions: list = field(default_factory=list)
    #: The group for the selected row: the right-click menu copies it.
    selected: bool = False


def _cluster_url(name, cluster, *args):
    return reverse(f"console:{name}", args=[cluster.lab_id, cluster.pk, *args])


def refresh(url):
    return Action("Refresh", "refresh", url=url)


def critical_events(cluster, **criteria):
    """'Show Critical Events': the Cluster Events list filtered to Critical and Error."""
    query = urlencode({**criteria, "level": ["1", "2"]}, doseq=True)
    return Action("Show Critical Events", "events", url=f"{_cluster_url('events', cluster)}?{query}")


def for_root(lab, here):
    return [ActionGroup("Failover Cluster Manager", [
        Action("Servers", "server", url=reverse("console:servers", args=[lab.pk])),
        refresh(here),
    ])]


def for_servers(lab, here, node=None):
    groups = [ActionGroup("Servers", [refresh(here)])]
    if node is not None and node.cluster_id:
        groups.append(ActionGroup(node.name, [
            Action("Open in its cluster", "node",
                   url=_cluster_url("node", node.cluster, node.pk)),
        ], selected=True))
    return groups


def for_cluster(cluster, here):
    return [ActionGroup(cluster.fqdn, [
        Action("Show Critical Events", "events", url=critical_events(cluster).url),
        refresh(here),
    ])]


def for_roles(cluster, here, role=None):
    groups = [ActionGroup(cluster.roles_label, [refresh(here)])]
    if role is not None:
        groups.append(ActionGroup(role.name, [
            critical_events(cluster, role=role.pk),
            Action("Show Dependency Report", "report",
                   url=_cluster_url("role-dependency-report", cluster, role.pk), new_window=True),
        ], selected=True))
    return groups


def for_nodes(cluster, here, node=None):
    groups = [ActionGroup("Nodes", [refresh(here)])]
    if node is not None:
        groups.append(ActionGroup(node.name, [critical_events(cluster, node=node.pk)],
                                  selected=True))
    return groups


def for_disks(cluster, here, title, disk=None):
    groups = [ActionGroup(title, [refresh(here)])]
    if disk is not None:
        groups.append(ActionGroup(disk.name, [
            critical_events(cluster, q=disk.name),
        ], selected=True))
    return groups


def for_networks(cluster, here, network=None):
    groups = [ActionGroup("Networks", [refresh(here)])]
    if network is not None:
        groups.append(ActionGroup(network.name, [critical_events(cluster, q=network.name)],
                                  selected=True))
    return groups


def for_events(cluster, here, event=None):
    groups = [ActionGroup("Cluster Events", [
        Action("Query...", "filter", dialog="event-query"),
        Action("Clear Query", "clear", url=_cluster_url("events", cluster)),
        refresh(here),
    ])]
    if event is not None:
        groups.append(ActionGroup(f"Event {event.event_id}", [
            Action("Event Properties", "events",
                   url=_cluster_url("event", cluster, event.pk) + "?tab=details"),
        ], selected=True))
    return groups
