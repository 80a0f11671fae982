"""Properties set in a dialog are engine commands: the change and its Outbox row commit together,
or neither does; a refusal changes nothing and says why beside the field."""
import pytest
from django.urls import reverse

from fcm.engine.commands import properties
from fcm.engine.models import Outbox
from fcm.inventory.models import Cluster, ClusterNetwork, Node, PreferredOwner, ReplicaServer, Role

pytestmark = pytest.mark.django_db
SEL = {"HX-Request": "true", "HX-Target": "selection"}
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


def outbox(lab):
    return sorted(Outbox.objects.filter(lab=lab).values_list("kind", "object_id"))


def fail_on_outbox(monkeypatch, after=0):
    """The Outbox write fails (after `after` good ones): the transaction must take the change back."""
    real = Outbox.objects.create
    calls = []

    def create(**kwargs):
        calls.append(kwargs)
        if len(calls) > after:
            raise RuntimeError("outbox unavailable")
        return real(**kwargs)

    monkeypatch.setattr(Outbox.objects, "create", create)


def test_live_migration_settings_tell_other_consoles(owner_client, r2_lab):
    cluster = Cluster.objects.get(lab=r2_lab)
    nets = {n.network.name: n for n in ClusterNetwork.objects.filter(cluster=cluster).select_related("network")}
    Outbox.objects.all().delete()
    url = reverse("console:live-migration-settings", args=[r2_lab.pk, cluster.pk])
    owner_client.post(url, {"order": [nets["iSCSI"].pk, nets["Public"].pk], "allowed": [nets["iSCSI"].pk],
                            "simultaneous": 4}, headers=HX)
    assert Cluster.objects.get(pk=cluster.pk).simultaneous_live_migrations == 4
    iscsi = ClusterNetwork.objects.get(pk=nets["iSCSI"].pk)
    assert (iscsi.live_migration_rank, iscsi.live_migration_allowed) == (1, True)
    assert not ClusterNetwork.objects.get(pk=nets["Public"].pk).live_migration_allowed
    assert outbox(r2_lab) == sorted([("cluster", cluster.pk)] + [("network", n.pk) for n in nets.values()])


def test_live_migration_settings_are_all_or_nothing(monkeypatch, r2_lab):
    cluster = Cluster.objects.get(lab=r2_lab)
    before = sorted(ClusterNetwork.objects.filter(cluster=cluster).values_list(
        "pk", "live_migration_rank", "live_migration_allowed"))
    pks = [pk for pk, _, _ in before]
    Outbox.objects.all().delete()
    fail_on_outbox(monkeypatch, after=len(pks))  # the networks' rows go in; the cluster's fails
    with pytest.raises(RuntimeError):
        properties.set_live_migration_settings(cluster, list(reversed(pks)), pks[:1], 7)
    assert sorted(ClusterNetwork.objects.filter(cluster=cluster).values_list(
        "pk", "live_migration_rank", "live_migration_allowed")) == before
    assert Cluster.objects.get(pk=cluster.pk).simultaneous_live_migrations != 7
    assert not Outbox.objects.exists()


def test_live_migration_refusals_change_nothing(owner_client, r2_lab):
    cluster = Cluster.objects.get(lab=r2_lab)
    other = Cluster.objects.exclude(pk=cluster.pk).first()
    Outbox.objects.all().delete()
    with pytest.raises(properties.PropertyError, match="at least one network"):
        properties.set_live_migration_settings(cluster, [], [0], 2)
    if other is not None:  # a network of another cluster does not count
        foreign = ClusterNetwork.objects.filter(cluster=other).values_list("pk", flat=True).first()
        with pytest.raises(properties.PropertyError):
            properties.set_live_migration_settings(cluster, [], [foreign], 2)
    pk = ClusterNetwork.objects.filter(cluster=cluster).values_list("pk", flat=True).first()
    for bad in (0, 65, None, True, "3"):
        with pytest.raises(properties.PropertyError, match="from 1 to 64") as refusal:
            properties.set_live_migration_settings(cluster, [pk], [pk], bad)
        assert refusal.value.field == "simultaneous"
    assert not Outbox.objects.exists()


def test_cluster_properties_tell_other_consoles_and_are_all_or_nothing(monkeypatch, owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=2, os_version="2016")
    cluster = Cluster.objects.get(lab=lab)
    Outbox.objects.all().delete()
    url = reverse("console:cluster-properties", args=[lab.pk, cluster.pk])
    data = {"same_subnet_delay_ms": 1500, "same_subnet_threshold": 7, "cross_subnet_delay_ms": 1000,
            "cross_subnet_threshold": 20, "resiliency_period_s": 60, "quarantine_threshold": 3,
            "quarantine_duration_s": 7200}
    assert owner_client.post(url, data, headers=HX).status_code == 200
    cluster.refresh_from_db()
    assert (cluster.same_subnet_delay_ms, cluster.same_subnet_threshold, cluster.resiliency_period_s) == (1500, 7, 60)
    assert outbox(lab) == [("cluster", cluster.pk)]

    Outbox.objects.all().delete()
    fail_on_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        properties.set_cluster_properties(cluster, {"same_subnet_threshold": 9})
    assert Cluster.objects.get(pk=cluster.pk).same_subnet_threshold == 7


def test_cluster_property_refusals(make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=2, os_version="2012R2")
    cluster = Cluster.objects.get(lab=lab)
    Outbox.objects.all().delete()
    with pytest.raises(properties.PropertyError, match="SameSubnetThreshold must be from 3 to 120") as refusal:
        properties.set_cluster_properties(cluster, {"same_subnet_delay_ms": 1200, "same_subnet_threshold": 200})
    assert refusal.value.field == "same_subnet_threshold"
    with pytest.raises(properties.PropertyError, match="no property"):  # compute resiliency came with 2016
        properties.set_cluster_properties(cluster, {"resiliency_period_s": 10})
    assert Cluster.objects.get(pk=cluster.pk).same_subnet_delay_ms != 1200
    assert not Outbox.objects.exists()


def role_values(role, **changes):
    return {"name": role.name, "priority": role.priority, "failover_threshold": role.failover_threshold,
            "failover_period_hours": role.failover_period_hours, "failback": role.failback,
            "failback_window": None, "preferred_owners": [], **changes}


def test_role_properties_tell_other_consoles(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=3, vms=3)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    hv = {n.name: n for n in Node.objects.filter(cluster=cluster)}
    Outbox.objects.all().delete()
    url = reverse("console:role-properties", args=[lab.pk, cluster.pk, role.pk])
    owner_client.post(url, {"name": "SQL-B", "priority": 1000, "failover_period_hours": 6, "failback": "immediately",
                            f"owner_{hv['HV02'].pk}": 1}, headers=SEL)
    role.refresh_from_db()
    assert (role.name, role.priority, role.failback) == ("SQL-B", 1000, "Allow")
    assert list(role.preferred_owner_entries.values_list("node__name", flat=True)) == ["HV02"]
    assert outbox(lab) == [("role", role.pk)]


def test_role_properties_are_all_or_nothing(monkeypatch, make_generated_lab):
    lab = make_generated_lab(nodes=3, vms=3)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    hv2, hv3 = Node.objects.filter(cluster=cluster, name__in=["HV02", "HV03"]).order_by("name")
    properties.set_role_properties(role, **role_values(role, preferred_owners=[hv3.pk]))
    Outbox.objects.all().delete()

    fail_on_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        properties.set_role_properties(role, **role_values(role, name="Renamed", priority=0,
                                                           preferred_owners=[hv2.pk, hv3.pk]))
    priority = role.priority
    role.refresh_from_db()
    assert (role.name, role.priority) == ("VM0001", priority)
    assert list(PreferredOwner.objects.filter(role=role).values_list("node_id", flat=True)) == [hv3.pk]
    assert not Outbox.objects.exists()


def test_role_properties_leave_what_the_engine_moves(make_generated_lab):
    """Saving Properties writes its own columns only: a state or owner changed meanwhile stays."""
    lab = make_generated_lab(nodes=3, vms=3)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    hv3 = Node.objects.get(cluster=cluster, name="HV03")
    stale = Role.objects.get(pk=role.pk)
    Role.objects.filter(pk=role.pk).update(state=Role.State.FAILED, owner_node=hv3, information="moved meanwhile")
    properties.set_role_properties(stale, **role_values(stale, priority=3000))
    role.refresh_from_db()
    assert (role.priority, role.state, role.owner_node_id, role.information) == (
        3000, Role.State.FAILED, hv3.pk, "moved meanwhile")


def test_role_property_refusals(make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=3)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    foreign = Node.objects.exclude(cluster=cluster).first() or Node.objects.filter(cluster__isnull=True).first()
    Outbox.objects.all().delete()
    cases = [({"name": "vm0002"}, "name", "Another role of this cluster is named vm0002."),
             ({"name": "  "}, "name", "Type a name"),
             ({"failback_window": (1, 5)}, "window_start", "between which failback"),
             ({"failover_period_hours": 0}, "failover_period_hours", "1 to 1193"),
             ({"preferred_owners": [role.owner_node_id, role.owner_node_id]}, None, "different position")]
    if foreign is not None:
        cases.append(({"preferred_owners": [foreign.pk]}, None, "node of this cluster"))
    for changes, field, message in cases:
        with pytest.raises(properties.PropertyError, match=message) as refusal:
            properties.set_role_properties(role, **role_values(role, **changes))
        assert refusal.value.field == field
    assert Role.objects.get(pk=role.pk).name == "VM0001"
    assert not Outbox.objects.exists()


def test_an_engine_refusal_shows_beside_the_field(monkeypatch, owner_client, make_generated_lab):
    """What the engine refuses after the form accepted it (a rename raced by another console)."""
    lab = make_generated_lab(nodes=2, vms=2)
    cluster = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=cluster, name="VM0001")
    url = reverse("console:role-properties", args=[lab.pk, cluster.pk, role.pk])
    real = properties.set_role_properties

    def raced(role, **values):
        Role.objects.filter(cluster=cluster, name="VM0002").update(name="Taken")
        return real(role, **values)

    monkeypatch.setattr(properties, "set_role_properties", raced)
    html = owner_client.post(url, {"name": "Taken", "priority": 2000, "failover_period_hours": 6,
                                   "failback": "prevent"}, headers=SEL).content.decode()
    assert "Another role of this cluster is named Taken." in html and 'id="action-dialog"' in html
    assert Role.objects.get(pk=role.pk).name == "VM0001"


def test_replica_settings_tell_other_consoles(owner_client, replica_lab, monkeypatch):
    broker = Role.objects.get(cluster__lab=replica_lab, type=Role.Type.REPLICA_BROKER, replica_server__name="DR-BROKER")
    server = ReplicaServer.objects.get(broker_role=broker)
    Outbox.objects.all().delete()
    url = reverse("console:broker-settings", args=[replica_lab.pk, broker.cluster_id, broker.pk])
    data = {"enabled": "on", "kerberos": "on", "kerberos_port": "8080", "certificate_port": "443",
            "allow_any": "", "authorized": "*.contoso.com, E:\\Replica, CONTOSO"}
    owner_client.post(url, data, headers=HX)
    server.refresh_from_db()
    assert server.kerberos_port == 8080 and server.authorizations.get().trust_group == "CONTOSO"
    assert outbox(replica_lab) == [("role", broker.pk)]

    Outbox.objects.all().delete()
    fail_on_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        properties.set_replica_server(server, {"kerberos_port": 81}, [])
    server.refresh_from_db()
    assert server.kerberos_port == 8080 and server.authorizations.count() == 1


def test_the_clock_tells_other_consoles(owner_client, r2_lab, monkeypatch):
    Outbox.objects.all().delete()
    url = reverse("console:clock", args=[r2_lab.pk])
    owner_client.post(url, {"speed": 5})
    owner_client.post(url, {"action": "pause"})
    r2_lab.refresh_from_db()
    assert r2_lab.speed == 0 and outbox(r2_lab) == [("clock", None), ("clock", None)]
    owner_client.post(url, {"action": "resume"})
    r2_lab.refresh_from_db()
    assert r2_lab.speed == 1
    with pytest.raises(properties.PropertyError):
        properties.set_clock(r2_lab, 7)
    fail_on_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        properties.set_clock(r2_lab, 10)
    r2_lab.refresh_from_db()
    assert r2_lab.speed == 1
