"""The server a user works on in a lab: the one their Hyper-V Manager is connected to (the console's Connect
to Server... sets it, Remove Server forgets it), kept in their session as (pk, name) so the console tree names
it without a query.

It matters to the product: a live migration authenticated with CredSSP starts only on the source host
itself (Microsoft Learn, "Set up hosts for live migration without Failover Clustering"), so the Move Wizard
asks whether the VM's host is this server. Elsewhere the user is at a management workstation.
"""

KEY = "hyperv-manager:{lab}"


def server(session, lab):
    """(pk, name) of the server the user is on in `lab`, or None."""
    value = session.get(KEY.format(lab=lab.pk)) if session is not None else None
    return tuple(value) if value else None


def sign_in(session, lab, node):
    session[KEY.format(lab=lab.pk)] = [node.pk, node.name]


def sign_out(session, lab):
    session.pop(KEY.format(lab=lab.pk), None)


def is_on(session, lab, node_id):
    """The user is on that server (its Hyper-V Manager is connected to it)."""
    here = server(session, lab)
    return here is not None and here[0] == node_id
