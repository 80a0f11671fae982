import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from fcm.inventory.models import Cluster, ClusterDisk, ClusterEvent, ClusterNetwork, Node, Role

pytestmark = pytest.mark.django_db


def console_urls(lab):
    """Every console page and selection of a lab."""
    c = Cluster.objects.get(lab=lab)
    role = Role.objects.filter(cluster=c).first()
    node = Node.objects.filter(cluster=c).first()
    disk = ClusterDisk.objects.filter(cluster=c).first()
    net = ClusterNetwork.objects.filter(cluster=c).first()
    event = ClusterEvent.objects.filter(cluster=c).first()
    a = (lab.pk, c.pk)
    urls = [
        reverse("console:lab-list"),
        reverse("console:root", args=[lab.pk]),
        reverse("console:servers", args=[lab.pk]),
        reverse("console:server", args=[lab.pk, node.pk]),
        reverse("console:cluster", args=a),
        reverse("console:roles", args=a),
        reverse("console:role", args=[*a, role.pk]),
        reverse("console:role", args=[*a, role.pk]) + "?tab=resources",
        reverse("console:role-dependency-report", args=[*a, role.pk]),
        reverse("console:nodes", args=a),
        reverse("console:node", args=[*a, node.pk]),
        reverse("console:node", args=[*a, node.pk]) + "?tab=network",
        reverse("console:storage", args=a),
        reverse("console:disks", args=a),
        reverse("console:disk", args=[*a, disk.pk]) + "?tab=volumes",
        reverse("console:networks", args=a),
        reverse("console:network", args=[*a, net.pk]) + "?tab=connections",
        reverse("console:events", args=a),
        reverse("console:event", args=[*a, event.pk]) + "?tab=details",
    ]
    for tab in ("network", "storage", "vms"):
        urls.append(reverse("console:server", args=[lab.pk, node.pk]) + f"?tab={tab}")
    if c.show_csv_folder:
        urls += [reverse("console:csvs", args=a),
                 reverse("console:csv", args=[*a, ClusterDisk.objects.get(cluster=c, assignment="csv").pk])]
    return urls


def test_every_page_answers_for_the_owner(owner_client, r2_lab, lab_2008):
    for lab in (r2_lab, lab_2008):
        for url in console_urls(lab):
            response = owner_client.get(url)
            assert response.status_code == 200, url


def test_anonymous_users_are_sent_to_sign_in(client, r2_lab):
    for url in console_urls(r2_lab):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_another_users_lab_is_not_found(client, r2_lab, other_user):
    client.force_login(other_user)
    assert r2_lab.name not in client.get(reverse("console:lab-list")).content.decode()
    for url in console_urls(r2_lab)[1:]:
        assert client.get(url).status_code == 404, url


def test_shared_lab_and_superuser_can_see(client, r2_lab, other_user):
    r2_lab.members.add(other_user)
    client.force_login(other_user)
    assert client.get(reverse("console:root", args=[r2_lab.pk])).status_code == 200
    admin = get_user_model().objects.create_superuser("root", password="x-very-long-pass")
    client.force_login(admin)
    assert client.get(reverse("console:root", args=[r2_lab.pk])).status_code == 200


def test_an_item_of_another_cluster_is_not_found(owner_client, r2_lab, lab_2008):
    c_r2 = Cluster.objects.get(lab=r2_lab)
    role_2008 = Role.objects.get(cluster__lab=lab_2008)
    url = reverse("console:role", args=[r2_lab.pk, c_r2.pk, role_2008.pk])
    assert owner_client.get(url).status_code == 404
    other_cluster = Cluster.objects.get(lab=lab_2008)
    assert owner_client.get(reverse("console:roles", args=[r2_lab.pk, other_cluster.pk])).status_code == 404


def test_roles_list_shows_the_product_columns(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    html = owner_client.get(reverse("console:roles", args=[r2_lab.pk, c.pk])).content.decode()
    assert "Services and Applications (1)" in html
    for col in ("Name", "Status", "Type", "Current Owner", "Auto Start"):
        assert f"<th>{col}</th>" in html
    assert "vWS08-SQL01" in html and "WS08R2-S1" in html


def test_2012_plus_roles_list_columns_and_vm_state(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=3)
    c = Cluster.objects.get(lab=lab)
    html = owner_client.get(reverse("console:roles", args=[lab.pk, c.pk])).content.decode()
    for col in ("Name", "Status", "Type", "Owner Node", "Priority", "Information"):
        assert f"<th>{col}</th>" in html
    assert "Roles (3)" in html
    nodes_html = owner_client.get(reverse("console:nodes", args=[lab.pk, c.pk])).content.decode()
    for col in ("Assigned Vote", "Current Vote"):
        assert f"<th>{col}</th>" in nodes_html


def test_disks_list(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    html = owner_client.get(reverse("console:storage", args=[r2_lab.pk, c.pk])).content.decode()
    for col in ("Name", "Status", "Assigned To", "Owner Node", "Disk Number", "Capacity"):
        assert f"<th>{col}</th>" in html
    assert "Disk Witness in Quorum" in html and "Cluster Shared Volume" in html and "1 TB" in html


def test_htmx_navigation_returns_only_the_console(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    url = reverse("console:nodes", args=[r2_lab.pk, c.pk])
    full = owner_client.get(url)
    partial = owner_client.get(url, headers={"HX-Request": "true", "HX-Target": "console"})
    assert "<html" in full.content.decode()
    body = partial.content.decode()
    assert "<html" not in body and 'id="console"' in body and "WS08R2-S2" in body
    assert "HX-Request" in partial["Vary"]
    restore = owner_client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_row_click_returns_details_and_actions_out_of_band(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    role = Role.objects.get(cluster=c)
    url = reverse("console:role", args=[r2_lab.pk, c.pk, role.pk])
    body = owner_client.get(url, headers={"HX-Request": "true", "HX-Target": "selection"}).content.decode()
    assert 'id="console"' not in body
    assert 'id="actions" class="actions-pane" aria-label="Actions" hx-swap-oob="true"' in body
    assert "Show Critical Events" in body and "Show Dependency Report" in body
    # The same page, loaded fresh, shows the same selection.
    full = owner_client.get(url).content.decode()
    assert 'class="selected"' in full and "Show Dependency Report" in full


def test_search_box_filters_by_name(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=2, vms=12)
    c = Cluster.objects.get(lab=lab)
    html = owner_client.get(reverse("console:roles", args=[lab.pk, c.pk]), {"q": "vm001"}).content.decode()
    assert "Roles (3)" in html  # VM0010, VM0011, VM0012
    html = owner_client.get(reverse("console:roles", args=[lab.pk, c.pk]), {"q": "zzz"}).content.decode()
    assert 'No roles match "zzz"' in html


def test_long_lists_are_paged(owner_client, make_generated_lab, settings):
    settings.FCM_PAGE_SIZE = 10
    lab = make_generated_lab(nodes=2, vms=25)
    c = Cluster.objects.get(lab=lab)
    url = reverse("console:roles", args=[lab.pk, c.pk])
    html = owner_client.get(url, {"page": 3}).content.decode()
    assert "Items 21&ndash;25 of 25" in html and "VM0021" in html and "VM0001" not in html
    assert owner_client.get(url, {"page": "junk"}).status_code == 200


def test_event_query_filters_and_bad_input_is_shown_at_the_field(owner_client, lab_2008):
    c = Cluster.objects.get(lab=lab_2008)
    url = reverse("console:events", args=[lab_2008.pk, c.pk])
    html = owner_client.get(url, {"event_id": "1135"}).content.decode()
    assert "Cluster Events (1)" in html and "Query applied" in html
    html = owner_client.get(url, {"level": "3"}).content.decode()
    assert "Cluster Events (1)" in html and ">1126<" in html
    bad = owner_client.get(url, {"event_id": "11x5"}).content.decode()
    assert "&#x27;11x5&#x27; is not an event ID" in bad
    assert 'aria-invalid="true"' in bad and "data-open-on-load" in bad
    assert "Cluster Events (2)" in bad  # nothing filtered
    reversed_dates = owner_client.get(url, {"since": "2008-06-02T00:00", "until": "2008-06-01T00:00"}).content.decode()
    assert "The end of the period is before its start." in reversed_dates


def test_show_critical_events_filters_to_critical_and_error(owner_client, lab_2008):
    c = Cluster.objects.get(lab=lab_2008)
    node = Node.objects.get(name="contoso3")
    html = owner_client.get(reverse("console:node", args=[lab_2008.pk, c.pk, node.pk])).content.decode()
    assert f"?node={node.pk}&amp;level=1&amp;level=2" in html
    listed = owner_client.get(reverse("console:events", args=[lab_2008.pk, c.pk]),
                              {"node": node.pk, "level": ["1", "2"]}).content.decode()
    assert "Cluster Events (1)" in listed and ">1135<" in listed


def test_user_text_is_escaped(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    role = Role.objects.get(cluster=c)
    role.name = '<script>alert("x")</script>'
    role.save()
    html = owner_client.get(reverse("console:role", args=[r2_lab.pk, c.pk, role.pk])).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_posts_need_a_csrf_token(r2_lab, owner):
    from django.test import Client
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(reverse("logout")).status_code == 403


def test_actions_pane_shows_only_built_actions(owner_client, r2_lab):
    """No dead buttons: every action is a link that answers, or a dialog in the page."""
    import re
    c = Cluster.objects.get(lab=r2_lab)
    role = Role.objects.get(cluster=c)
    for url in console_urls(r2_lab)[1:]:
        if "dependency-report" in url:
            continue
        html = owner_client.get(url).content.decode()
        pane = html.split('id="actions"', 1)[1].split("</aside>", 1)[0]
        for href in re.findall(r'class="action" href="([^"]+)"', pane):
            assert owner_client.get(href.replace("&amp;", "&")).status_code == 200, (url, href)
        for dialog in re.findall(r'data-dialog="([^"]+)"', pane):
            assert f'id="{dialog}"' in html
    assert role  # the role page was among them


def test_icons_are_hidden_from_screen_readers_unless_labelled(owner_client, r2_lab):
    html = owner_client.get(reverse("console:root", args=[r2_lab.pk])).content.decode()
    assert '<svg class="ico ico-fcm" aria-hidden="true">' in html
    assert "&quot;true&quot;" not in html
    assert 'role="img" aria-label="Back"' in html


def test_cluster_summary_says_what_failures_the_quorum_survives(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    html = owner_client.get(reverse("console:cluster", args=[r2_lab.pk, c.pk])).content.decode()
    assert "Node and Disk Majority (Cluster Disk 1)" in html
    assert "The cluster survives the failure of 1 node at the same time." in html


def test_the_simulators_controls_come_last_under_their_own_heading(owner_client, r2_lab):
    """A role's and a node's Simulate items follow every product action, after a Simulate heading."""
    import re
    c = Cluster.objects.get(lab=r2_lab)
    role = Role.objects.get(cluster=c)
    node = c.nodes.order_by("name").first()
    for url, product in ((reverse("console:role", args=[r2_lab.pk, c.pk, role.pk]), "Save"),
                         (reverse("console:node", args=[r2_lab.pk, c.pk, node.pk]), "Pause")):
        pane = owner_client.get(url).content.decode().split('id="actions"', 1)[1].split("</aside>", 1)[0]
        selected = pane.split("action-group-selected", 1)[1]
        items = re.findall(r'<li[^>]*>', selected)
        kinds = ["heading" if "action-heading" in li else "fault" if "fault-action" in li else "product"
                 for li in items]
        assert "fault" in kinds and kinds.count("heading") == 1, (url, kinds)
        first_fault = kinds.index("fault")
        assert kinds[first_fault - 1] == "heading" and "product" not in kinds[first_fault:], (url, kinds)
        assert selected.index(product) < selected.index(">Simulate</li>"), url


def test_the_console_names_itself_as_its_version_does(client, owner, lab_2008, r2_lab):
    """Seed 000 calls the 2008 snap-in "Failover Cluster Management"; 2008 R2 renamed it Failover Cluster Manager."""
    client.force_login(owner)
    old = client.get(reverse("console:root", args=[lab_2008.pk])).content.decode()
    assert '<span class="titlebar-name">Failover Cluster Management</span>' in old
    assert "<title>Failover Cluster Management</title>" in old
    r2 = client.get(reverse("console:root", args=[r2_lab.pk])).content.decode()
    assert '<span class="titlebar-name">Failover Cluster Manager</span>' in r2 and "Management" not in r2


def test_a_2008_console_shows_the_cluster_exe_line_where_2008_r2_shows_powershell(client, owner, lab_2008, r2_lab):
    from fcm.console.menus import cluster_exe
    client.force_login(owner)
    cluster = Cluster.objects.get(lab=lab_2008)
    node = Node.objects.get(cluster=cluster, name="contoso3")
    html = client.get(reverse("console:node", args=[lab_2008.pk, cluster.pk, node.pk])).content.decode()
    assert 'title="cluster.exe: cluster node contoso3 /pause"' in html and "Suspend-ClusterNode" not in html
    r2 = Cluster.objects.get(lab=r2_lab)
    s1 = Node.objects.get(cluster=r2, name="WS08R2-S1")
    html = client.get(reverse("console:node", args=[r2_lab.pk, r2.pk, s1.pk])).content.decode()
    assert 'title="PowerShell: Suspend-ClusterNode -Name WS08R2-S1"' in html
    assert cluster_exe("Move-ClusterGroup -Name Guest1 -Node contoso4") == 'cluster group "Guest1" /moveto:contoso4'
    assert cluster_exe("Save-VM -Name Guest1") == ""
