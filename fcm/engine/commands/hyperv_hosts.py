"""A Hyper-V host's own settings (Hyper-V Manager > Hyper-V Settings...): Live Migrations with their
Advanced Features, and Storage Migrations. What they govern: whether the host sends and accepts live
migrations outside a cluster, how many run at once, how they authenticate, how memory travels (the
performance option every live migration from this host uses, in a cluster too) and on which networks.
"""
from django.db import transaction

from fcm.inventory.models import MigrationNetwork, Node
from fcm.inventory.models.servers import MigrationAuthentication
from fcm.sim import hyperv_settings as rules

from ..errors import ServerError
from ..outbox import mark_nodes
from .servers import locked_node, require_on


def set_migration_settings(user, node, *, enabled, simultaneous, storage_simultaneous, authentication,
                           performance, use_any, networks):
    """Save the host's Live Migrations, Advanced Features and Storage Migrations pages at once.

    `simultaneous`, `storage_simultaneous`: whole numbers (None when what was typed is not one);
    `authentication`: "CredSSP" or "Kerberos"; `performance`: one of the version's options ("" before
    2012 R2); `networks`: the lines of "Use these IP addresses for live migration", in priority order."""
    if authentication not in MigrationAuthentication.values:
        raise ServerError("Choose CredSSP or Kerberos.", "authentication")
    subnets, problem = rules.migration_networks(networks if not use_any else ())
    with transaction.atomic():
        node = locked_node(node)
        if not node.hyperv_installed:
            raise ServerError(f"{node.name} does not have the Hyper-V role: install it first "
                              "(Add Roles and Features).")
        require_on(node, "its Hyper-V Settings can be changed")
        problem = problem or rules.settings_problem(
            node.version.order, simultaneous=simultaneous, storage_simultaneous=storage_simultaneous,
            performance=performance, use_any=use_any, subnets=subnets)
        if problem:
            raise ServerError(problem.message, problem.field)
        Node.objects.filter(pk=node.pk).update(
            vm_migration_enabled=bool(enabled), max_vm_migrations=simultaneous,
            max_storage_migrations=storage_simultaneous, migration_authentication=authentication,
            migration_performance=performance or "", use_any_network_for_migration=bool(use_any))
        if not use_any:  # with any network allowed, the list is kept for the day it is chosen again
            MigrationNetwork.objects.filter(node=node).delete()
            MigrationNetwork.objects.bulk_create(
                MigrationNetwork(node=node, subnet=subnet, priority=i) for i, subnet in enumerate(subnets))
        mark_nodes(node.lab_id, node)
