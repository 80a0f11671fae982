import pytest
from django.urls import reverse

from fcm.engine.models import Operation
from fcm.inventory.models import Cluster, Lab, Node, Role

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "selection"}


def urls(lab, name="vWS08-SQL01"):
    c = Cluster.objects.get(lab=lab)
    role = Role.objects.get(cluster=c, name=name)
    a = (lab.pk, c.pk, role.pk)
    return {
        "role": reverse("console:role", args=a),
        "live": reverse("console:role-move", args=[*a, "live"]),
        "quick": reverse("console:role-move", args=[*a, "quick"]),
        "storage": reverse("console:role-move-storage", args=a),
        "cancel": reverse("console:role-cancel-move", args=a),
    }, role


def test_role_actions_offer_the_moves_of_the_version(owner_client, r2_lab, lab_2008, make_generated_lab):
    u, _ = urls(r2_lab)
    html = owner_client.get(u["role"]).content.decode()
    assert "Live migrate virtual machine to another node" in html and "Virtual Machine Storage" not in html
    u, _ = urls(lab_2008, "Guest1")
    html = owner_client.get(u["role"]).content.decode()
    assert "Live migrate" not in html and "Move virtual machine(s) to another node" in html
    lab = make_generated_lab(nodes=2, vms=2)
    u, _ = urls(lab, "VM0001")
    html = owner_client.get(u["role"]).content.decode()
    assert "Move \u203a Live Migration" in html and "Virtual Machine Storage" in html


def test_select_node_dialog_shows_figures_before_confirming(owner_client, r2_lab):
    u, _ = urls(r2_lab)
    html = owner_client.get(u["live"], headers={"HX-Request": "true"}).content.decode()
    assert "WS08R2-S2" in html and "downtime about" in html and "data-open-on-load" in html
    best = owner_client.get(u["live"] + "?best=1", headers={"HX-Request": "true"}).content.decode()
    assert "the best possible node" in best and "Expected: about" in best


def test_ineligible_nodes_are_greyed_with_the_reason(owner_client, r2_lab):
    Node.objects.filter(name="WS08R2-S2").update(state="Paused")
    u, _ = urls(r2_lab)
    html = owner_client.get(u["live"]).content.decode()
    assert 'class="ineligible"' in html and "WS08R2-S2 is paused" in html and "disabled" in html


def test_posting_a_move_starts_it_and_answers_with_the_details(owner_client, r2_lab):
    u, role = urls(r2_lab)
    s2 = Node.objects.get(name="WS08R2-S2")
    response = owner_client.post(u["live"], {"target": s2.pk}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and "Live Migrating, 0% completed" in body
    assert '<div id="dialog-host" hx-swap-oob="true"></div>' in body
    assert "Cancel Live Migration" in body
    assert Operation.objects.get().target_node == s2
    # Cancel from the Actions pane.
    body = owner_client.post(u["cancel"], headers=HX).content.decode()
    assert Operation.objects.get().state == "cancelled"
    assert "1 - Live migrate to node WS08R2-S2" in body


def test_bad_move_input_reopens_the_dialog_with_the_reason(owner_client, r2_lab):
    u, role = urls(r2_lab)
    response = owner_client.post(u["live"], {}, headers=HX)
    assert response["HX-Retarget"] == "#dialog-host"
    assert "Select the node to move the virtual machine to." in response.content.decode()
    response = owner_client.post(u["live"], {"target": 99999}, headers=HX)
    assert "not in this cluster" in response.content.decode()
    s1 = Node.objects.get(name="WS08R2-S1")
    response = owner_client.post(u["live"], {"target": s1.pk}, headers=HX)
    assert "already on WS08R2-S1" in response.content.decode()
    assert not Operation.objects.exists()
    assert owner_client.post(u["cancel"], headers=HX)["HX-Retarget"] == "#dialog-host"


def test_storage_dialog_and_move(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=600)
    u, role = urls(lab, "VM0001")
    html = owner_client.get(u["storage"]).content.decode()
    assert "Move Virtual Machine Storage" in html and r"C:\ClusterStorage\Volume2" in html
    from fcm.inventory.models import ClusterDisk
    dest = ClusterDisk.objects.get(cluster__lab=lab, csv_number=2)
    body = owner_client.post(u["storage"], {"target": dest.pk}, headers=HX).content.decode()
    assert "Moving Virtual Machine Storage" in body
    assert owner_client.post(u["storage"], {"target": ""}, headers=HX)["HX-Retarget"] == "#dialog-host"


def test_another_users_lab_cannot_be_moved(client, r2_lab, other_user):
    client.force_login(other_user)
    u, _ = urls(r2_lab)
    assert client.post(u["live"], {"best": "1"}).status_code == 404
    assert not Operation.objects.exists()


def test_clock_pause_resume_speed(owner_client, r2_lab):
    url = reverse("console:clock", args=[r2_lab.pk])
    before = Lab.objects.get(pk=r2_lab.pk).sim_now()
    html = owner_client.post(url, {"action": "pause"}).content.decode()
    assert Lab.objects.get(pk=r2_lab.pk).speed == 0 and "Paused" in html
    paused_at = Lab.objects.get(pk=r2_lab.pk).sim_now()
    assert paused_at >= before
    owner_client.post(url, {"speed": "60"})
    lab = Lab.objects.get(pk=r2_lab.pk)
    assert lab.speed == 60 and lab.sim_anchor == paused_at
    response = owner_client.post(url, {"speed": "7"})
    assert "Choose pause, resume or one of the speeds" in response.content.decode()
    assert Lab.objects.get(pk=r2_lab.pk).speed == 60
    assert owner_client.post(url, {"action": "resume"}).status_code == 200


def test_several_roles_move_in_one_action(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=3, vms=6)
    c = Cluster.objects.get(lab=lab)
    roles = list(Role.objects.filter(cluster=c).order_by("name")[:3])
    ids = ",".join(str(r.pk) for r in roles)
    sel = owner_client.get(reverse("console:roles-selection", args=[lab.pk, c.pk]) + f"?ids={ids}",
                           headers=HX).content.decode()
    assert "3 items selected" in sel and "Best Possible Node / Select Node..." in sel
    move_url = reverse("console:roles-move", args=[lab.pk, c.pk, "live"])
    dialog = owner_client.get(move_url + f"?ids={ids}").content.decode()
    assert "3 virtual machines" in dialog and "HV02" in dialog
    assert owner_client.post(move_url, {"ids": ids, "target": "nope"}, headers=HX)["HX-Retarget"] == "#dialog-host"
    body = owner_client.post(move_url, {"ids": ids, "target": "best"}, headers=HX).content.decode()
    ops = Operation.objects.filter(role__in=roles)
    assert ops.count() == 3
    assert all(op.target_node_id != op.source_node_id for op in ops)
    assert "3 items selected" in body


def test_a_multi_move_reports_what_could_not_move(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=4)
    c = Cluster.objects.get(lab=lab)
    hv2 = Node.objects.get(cluster=c, name="HV02")
    roles = list(Role.objects.filter(cluster=c).order_by("name")[:2])  # VM0001 on HV01, VM0002 on HV02
    ids = ",".join(str(r.pk) for r in roles)
    move_url = reverse("console:roles-move", args=[lab.pk, c.pk, "quick"])
    body = owner_client.post(move_url, {"ids": ids, "target": hv2.pk}, headers=HX).content.decode()
    assert "1 of 2 moves started." in body and "VM0002</strong>: VM0002 is already on HV02." in body
    assert Operation.objects.count() == 1


def test_2008_r2_numbers_the_other_nodes_and_a_flyout_item_starts_the_move(owner_client, r2_lab):
    """Seed 002: "Live migrate virtual machine to another node" > "1 - Live migrate to node WS08R2-S2"."""
    u, role = urls(r2_lab)
    html = owner_client.get(reverse("console:role", args=[r2_lab.pk, role.cluster_id, role.pk])).content.decode()
    assert "Live migrate virtual machine to another node &rsaquo;</span> 1 - Live migrate to node WS08R2-S2" in html
    assert "Move virtual machine(s) to another node &rsaquo;</span> 1 - Move to node WS08R2-S2" in html
    assert "Best Possible Node" not in html and "Select Node..." not in html
    s2 = Node.objects.get(name="WS08R2-S2")
    bad = owner_client.post(u["live"] + "?node=999999", headers=HX)
    assert "That node is not in this cluster any more." in bad.content.decode() and not Operation.objects.exists()
    body = owner_client.post(u["live"] + f"?node={s2.pk}", headers=HX).content.decode()
    assert "Live Migrating, 0% completed" in body and Operation.objects.get().target_node == s2
    again = owner_client.post(u["live"] + f"?node={s2.pk}", headers=HX)
    assert again.headers["HX-Retarget"] == "#dialog-host" and Operation.objects.count() == 1


def test_2008_moves_by_a_numbered_flyout_with_its_cluster_exe_line(owner_client, lab_2008):
    cluster = Cluster.objects.get(lab=lab_2008)
    role = Role.objects.get(cluster=cluster, name="Guest1")
    html = owner_client.get(reverse("console:role", args=[lab_2008.pk, cluster.pk, role.pk])).content.decode()
    assert "Move virtual machine(s) to another node &rsaquo;</span> 1 - Move to node contoso4" in html
    assert 'cluster group &quot;Guest1&quot; /moveto:contoso4' in html
    assert "Live migrate" not in html
