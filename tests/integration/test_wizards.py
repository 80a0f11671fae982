"""The wizard step machine, Validate a Configuration and Create Cluster."""
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from fcm.engine import labfile
from fcm.engine.models import Operation
from fcm.inventory.models import Cluster, ClusterDisk, ClusterNetwork, Node
from fcm.engine.models import ValidationReport
from fcm.wizards.models import WizardDraft

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true", "HX-Target": "dialog-host"}


@pytest.fixture
def fresh_lab(owner):
    from fcm.engine import labfile
    return labfile.load(labfile.lab_path("two-node-fresh-2012"), owner)


def step(client, url, **data):
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def draft_url(lab):
    d = WizardDraft.objects.order_by("-created_at").first()
    return reverse("wizards:draft", args=[lab.pk, d.pk]), d


def run_validation(client, lab, names):
    start = reverse("wizards:start", args=[lab.pk, "validate"])
    html = client.get(start, headers=HX).content.decode()
    assert "Before You Begin" in html and "data-open-on-load" in html
    html = step(client, start, action="next")
    assert 'aria-current="step">Select Servers or a Cluster' in html
    url, draft = draft_url(lab)
    html = step(client, url, action="next", names=names)
    assert 'aria-current="step">Testing Options' in html, html
    html = step(client, url, action="next", mode="all")
    assert 'aria-current="step">Confirmation' in html and "Test-Cluster -Node" in html
    html = step(client, url, action="next")
    assert "Validating" in html
    draft.refresh_from_db()
    return draft


def test_validation_runs_test_by_test_and_stores_the_report(owner_client, fresh_lab, make_runner, finish_operation):
    draft = run_validation(owner_client, fresh_lab, "HV-A, HV-B")
    op = draft.operation
    assert op.kind == "validation" and op.state == "running"
    runner = make_runner()
    lab = fresh_lab
    lab.refresh_from_db()
    out = runner.tick(to=lab.wall_anchor + timedelta(seconds=5))
    assert f'id="operation-{op.pk}-progress" class="op-progress" hx-swap-oob="true"' in out[lab.pk]
    assert "Running" in out[lab.pk] and "Pending" in out[lab.pk]
    op = finish_operation(lab, op)
    report = ValidationReport.objects.get(operation=op)
    assert op.state == "completed" and report.outcome in ("success", "warnings")
    html = owner_client.get(reverse("wizards:report", args=[lab.pk, report.pk])).content.decode()
    assert "Failover Cluster Validation Report" in html and "Results by Category" in html
    assert "Validate SCSI-3 Persistent Reservation" in html
    download = owner_client.get(reverse("wizards:report", args=[lab.pk, report.pk]) + "?download=1")
    assert "attachment" in download["Content-Disposition"] and ".htm" in download["Content-Disposition"]


def test_unknown_and_powered_off_servers_are_refused_at_the_field(owner_client, fresh_lab):
    Node.objects.filter(lab=fresh_lab, name="HV-B").update(power_state="Off")
    start = reverse("wizards:start", args=[fresh_lab.pk, "validate"])
    step(owner_client, start, action="next")
    url, draft = draft_url(fresh_lab)
    html = step(owner_client, url, action="next", names="HV-A, NOPE, HV-B")
    assert "The computer &#x27;NOPE&#x27; could not be reached" in html
    assert "HV-B&#x27; is not responding: it is turned off" in html
    assert 'aria-invalid="true"' in html
    draft.refresh_from_db()
    assert draft.step == "servers"
    html = step(owner_client, url, action="next", names="")
    assert "Type or select at least one server" in html


def test_test_selection_shows_only_when_chosen(owner_client, fresh_lab):
    start = reverse("wizards:start", args=[fresh_lab.pk, "validate"])
    step(owner_client, start, action="next")
    url, draft = draft_url(fresh_lab)
    step(owner_client, url, action="next", names="HV-A,HV-B")
    html = step(owner_client, url, action="next", mode="selected")
    assert 'aria-current="step">Test Selection' in html and "Validate Disk Failover" in html
    html = step(owner_client, url, action="next")
    assert "Select at least one test." in html
    html = step(owner_client, url, action="next", tests=["Validate IP Configuration", "List All Disks"])
    assert "-Include" in html and "Validate IP Configuration" in html
    html = step(owner_client, url, action="previous")
    assert 'aria-current="step">Test Selection' in html
    step(owner_client, url, action="next", tests=["Validate IP Configuration"])
    step(owner_client, url, action="next")
    draft.refresh_from_db()
    assert len(ValidationReport.objects.get(operation=draft.operation).results) == 1


def test_cancel_changes_nothing_and_cancelling_validation_keeps_finished_results(owner_client, fresh_lab, make_runner):
    start = reverse("wizards:start", args=[fresh_lab.pk, "validate"])
    step(owner_client, start, action="next")
    url, draft = draft_url(fresh_lab)
    response = owner_client.post(url, {"action": "cancel"}, headers=HX)
    assert response["HX-Trigger"] == "wizardClosed" and not Operation.objects.exists()
    draft = run_validation(owner_client, fresh_lab, "HV-A,HV-B")
    fresh_lab.refresh_from_db()
    make_runner().tick(to=fresh_lab.wall_anchor + timedelta(seconds=4))
    url = reverse("wizards:draft", args=[fresh_lab.pk, draft.pk])
    html = step(owner_client, url, action="cancel")
    report = ValidationReport.objects.get(operation=draft.operation)
    assert report.outcome == "canceled" and "Testing was canceled" in html
    statuses = [r["status"] for r in report.results]
    assert statuses[0] != "Canceled" and statuses[-1] == "Canceled"


def test_create_cluster_end_to_end_and_finish_is_idempotent(owner_client, fresh_lab, finish_operation):
    start = reverse("wizards:start", args=[fresh_lab.pk, "create-cluster"])
    step(owner_client, start, action="next")
    url, draft = draft_url(fresh_lab)
    html = step(owner_client, url, action="next", names="HV-A,HV-B")
    assert 'aria-current="step">Validation Warning' in html  # never validated
    html = step(owner_client, url, action="next", run_validation="no")
    assert 'aria-current="step">Access Point for Administering the Cluster' in html
    from fcm.inventory.models import Network
    public = Network.objects.get(lab=fresh_lab, name="Public")
    f = {f"use_{public.pk}": "on", f"address_{public.pk}": ""}
    html = step(owner_client, url, action="next", name="bad name!", **f)
    assert "characters that are not allowed" in html and "Type an address on 10.10.0.0/24" in html
    html = step(owner_client, url, action="next", name="HV-A", **{**f, f"address_{public.pk}": "10.10.0.255"})
    assert "already used in the domain" in html and "broadcast address" in html
    html = step(owner_client, url, action="next", name="12345", **{**f, f"address_{public.pk}": "10.10.0.11"})
    assert "digits only" in html and "already in use" in html
    html = step(owner_client, url, action="next", name="CL2012", **{**f, f"address_{public.pk}": "10.20.0.5"})
    assert "not in the network 10.10.0.0/24" in html
    html = step(owner_client, url, action="next", name="CL2012", **{**f, f"address_{public.pk}": "10.10.0.50"})
    assert 'aria-current="step">Confirmation' in html
    assert "New-Cluster -Name CL2012 -Node HV-A,HV-B -StaticAddress 10.10.0.50" in html
    assert not Cluster.objects.filter(lab=fresh_lab).exists()  # nothing until Finish
    step(owner_client, url, action="next", add_storage="on")
    step(owner_client, url, action="next", add_storage="on")  # a double submit
    assert Operation.objects.filter(kind="create-cluster").count() == 1
    op = finish_operation(fresh_lab, Operation.objects.get(kind="create-cluster"))
    cluster = Cluster.objects.get(lab=fresh_lab, name="CL2012")
    assert op.state == "completed" and cluster.addresses.get().ip_address == "10.10.0.50"
    assert set(Node.objects.filter(cluster=cluster).values_list("state", flat=True)) == {"Up"}
    nets = {cn.network.name: cn for cn in ClusterNetwork.objects.filter(cluster=cluster).select_related("network")}
    assert nets["Public"].get_role_display() == "Cluster and Client"
    assert nets["iSCSI"].get_role_display() == "None"
    assert nets["Public"].name.startswith("Cluster Network ")
    disks = {cd.disk.name: cd for cd in ClusterDisk.objects.filter(cluster=cluster).select_related("disk")}
    assert disks["Witness"].assignment == "witness" and cluster.quorum_type == "NodeAndDiskMajority"
    assert disks["Data"].assignment == "available"
    html = owner_client.get(url, headers=HX).content.decode()
    assert "You have successfully completed the Create Cluster Wizard" in html
    assert "New-Cluster -Name CL2012 -Node HV-A,HV-B -StaticAddress 10.10.0.50" in html  # on the Summary too
    report = owner_client.get(reverse("wizards:operation-report", args=[fresh_lab.pk, op.pk])).content.decode()
    assert "CL2012.contoso.com" in report and "Forming cluster" in report and "Node and Disk Majority" in report


def test_validation_summary_leads_to_create_cluster_without_the_warning(owner_client, fresh_lab, finish_operation):
    draft = run_validation(owner_client, fresh_lab, "HV-A,HV-B")
    finish_operation(fresh_lab, draft.operation)
    url = reverse("wizards:draft", args=[fresh_lab.pk, draft.pk])
    html = owner_client.get(url, headers=HX).content.decode()
    assert "Create the cluster now using the validated nodes" in html
    html = step(owner_client, url, action="create-cluster")
    assert "Create Cluster Wizard" in html and 'aria-current="step">Access Point' in html
    assert "Validation Warning" not in html and "Select Servers</li>" not in html


def test_a_draft_belongs_to_its_user(client, owner_client, fresh_lab, other_user):
    start = reverse("wizards:start", args=[fresh_lab.pk, "validate"])
    step(owner_client, start, action="next")
    url, _ = draft_url(fresh_lab)
    fresh_lab.members.add(other_user)
    client.force_login(other_user)
    assert client.get(url).status_code == 404


def test_cluster_shared_volumes_add_and_remove(owner_client, make_generated_lab, r2_lab):
    lab = make_generated_lab(nodes=2, vms=2, os_version="2012")
    cluster = Cluster.objects.get(lab=lab)
    from fcm.inventory.models import Disk, DiskPath
    lun = Disk.objects.create(lab=lab, name="Spare", size_bytes=2 ** 40)
    for i, n in enumerate(Node.objects.filter(cluster=cluster)):
        DiskPath.objects.create(disk=lun, node=n, disk_number=50 + i)
    spare = ClusterDisk.objects.create(cluster=cluster, disk=lun, name="Cluster Disk 9")
    url = reverse("console:disk", args=[lab.pk, cluster.pk, spare.pk])
    assert "Add to Cluster Shared Volumes" in owner_client.get(url).content.decode()
    response = owner_client.post(reverse("console:disk-csv-add", args=[lab.pk, cluster.pk, spare.pk]),
                                 headers={"HX-Request": "true", "HX-Target": "selection"})
    spare.refresh_from_db()
    assert spare.assignment == "csv" and spare.csv_number == 2 and response["HX-Refresh"] == "true"
    assert "Remove from Cluster Shared Volumes" in owner_client.get(url).content.decode()
    remove = reverse("console:disk-csv-remove", args=[lab.pk, cluster.pk, spare.pk])
    assert "Are you sure" in owner_client.get(remove).content.decode()
    owner_client.post(remove, headers={"HX-Request": "true", "HX-Target": "selection"})
    spare.refresh_from_db()
    assert spare.assignment == "available" and spare.csv_number is None
    # A volume holding VM files cannot be removed.
    used = ClusterDisk.objects.get(cluster=cluster, csv_number=1)
    html = owner_client.post(reverse("console:disk-csv-remove", args=[lab.pk, cluster.pk, used.pk])).content.decode()
    assert "holds files of VM0001, VM0002" in html
    assert ClusterDisk.objects.get(pk=used.pk).assignment == "csv"


def test_2008_r2_enables_csv_with_its_notice(owner_client, r2_lab):
    cluster = Cluster.objects.get(lab=r2_lab)
    Cluster.objects.filter(pk=cluster.pk).update(csv_enabled=False)
    html = owner_client.get(reverse("console:cluster", args=[r2_lab.pk, cluster.pk])).content.decode()
    assert "Enable Cluster Shared Volumes..." in html and "Cluster Shared Volumes</a>" not in html
    url = reverse("console:enable-csv", args=[r2_lab.pk, cluster.pk])
    assert "supported only for the Hyper-V role" in owner_client.get(url).content.decode()
    assert "accept the notice" in owner_client.post(url, {}).content.decode()
    assert not Cluster.objects.get(pk=cluster.pk).csv_enabled
    response = owner_client.post(url, {"accept": "on"}, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true" and Cluster.objects.get(pk=cluster.pk).csv_enabled
    html = owner_client.get(reverse("console:csvs", args=[r2_lab.pk, cluster.pk])).content.decode()
    assert "Add storage" in html
    add = reverse("console:csv-add-storage", args=[r2_lab.pk, cluster.pk])
    sql = ClusterDisk.objects.get(cluster=cluster, disk__name="SQL")
    assert "Select the disks" in owner_client.post(add, {}).content.decode()
    owner_client.post(add, {"disks": [sql.pk]}, headers={"HX-Request": "true"})
    assert ClusterDisk.objects.get(pk=sql.pk).volume_path == r"C:\ClusterStorage\Volume2"


def test_add_node_evict_and_destroy(owner_client, fresh_lab, make_runner, finish_operation, create_cluster_now):
    from fcm.inventory.models import ClusterEvent
    cluster = create_cluster_now(owner_client, fresh_lab, names="HV-A")
    assert cluster.nodes.count() == 1
    start = reverse("wizards:start", args=[fresh_lab.pk, "add-node"]) + f"?cluster={cluster.pk}"
    step(owner_client, start, action="next", cluster=cluster.pk)
    url, draft = draft_url(fresh_lab)
    html = step(owner_client, url, action="next", names="HV-A")
    assert "already part of the cluster" in html
    html = step(owner_client, url, action="next", names="HV-B")
    assert 'aria-current="step">Validation Warning' in html
    html = step(owner_client, url, action="next", confirm="no")
    assert "Add-ClusterNode -Cluster CL2012 -Name HV-B" in html
    step(owner_client, url, action="next")
    op = Operation.objects.get(kind="add-node")
    fresh_lab.refresh_from_db()
    started = (op.started_at - fresh_lab.sim_anchor).total_seconds()
    make_runner().tick(to=fresh_lab.wall_anchor + timedelta(seconds=started + 1))
    assert Node.objects.get(name="HV-B").state == "Joining"
    finish_operation(fresh_lab, op)
    hv_b = Node.objects.get(name="HV-B")
    assert hv_b.cluster == cluster and hv_b.state == "Up" and hv_b.node_id == 2
    # Evict asks first, then logs 1011.
    evict = reverse("console:node-evict", args=[fresh_lab.pk, cluster.pk, hv_b.pk])
    assert "Are you sure you want to evict node HV-B" in owner_client.get(evict).content.decode()
    response = owner_client.post(evict, headers={"HX-Request": "true"})
    assert "HX-Redirect" in response and Node.objects.get(name="HV-B").cluster is None
    assert ClusterEvent.objects.filter(event_id=1011, cluster=cluster).exists()
    hv_a = Node.objects.get(name="HV-A")
    html = owner_client.post(reverse("console:node-evict", args=[fresh_lab.pk, cluster.pk, hv_a.pk])).content.decode()
    assert "last node" in html
    destroy = reverse("console:destroy", args=[fresh_lab.pk, cluster.pk])
    assert "Are you sure you want to destroy cluster" in owner_client.get(destroy).content.decode()
    owner_client.post(destroy, headers={"HX-Request": "true"})
    assert not Cluster.objects.filter(lab=fresh_lab).exists()
    assert Node.objects.get(name="HV-A").cluster is None and ClusterDisk.objects.count() == 0


def test_destroy_refuses_a_cluster_with_roles(owner_client, r2_lab):
    c = Cluster.objects.get(lab=r2_lab)
    html = owner_client.post(reverse("console:destroy", args=[r2_lab.pk, c.pk])).content.decode()
    assert "Remove the clustered roles first (vWS08-SQL01)" in html
    assert Cluster.objects.filter(pk=c.pk).exists()


def test_quorum_wizard_2008_r2_modes_and_file_share(owner_client, r2_lab, finish_operation):
    c = Cluster.objects.get(lab=r2_lab)
    start = reverse("wizards:start", args=[r2_lab.pk, "quorum"]) + f"?cluster={c.pk}"
    step(owner_client, start, action="next", cluster=c.pk)
    url, draft = draft_url(r2_lab)
    html = owner_client.get(url, headers=HX).content.decode()
    assert "Node and Disk Majority (recommended for your current number of nodes)" in html
    assert "Node and Cloud Witness Majority" not in html
    html = step(owner_client, url, action="next", option="NodeAndFileShareMajority")
    assert 'aria-current="step">Configure Quorum Witness' in html
    html = step(owner_client, url, action="next", file_share="not a share")
    assert r"\\server\share" in html
    html = step(owner_client, url, action="next", file_share=r"\\WS08R2-S1\witness")
    assert "outside the cluster" in html
    html = unescape(step(owner_client, url, action="next", file_share=r"\\FS01\witness"))
    assert r'Set-ClusterQuorum -Cluster WS08R2-CL01 -NodeAndFileShareMajority "\\FS01\witness"' in html
    step(owner_client, url, action="next")
    finish_operation(r2_lab, Operation.objects.get(kind="configure-quorum"))
    c.refresh_from_db()
    assert c.quorum_type == "NodeAndFileShareMajority" and c.file_share_witness == r"\\FS01\witness"
    assert not ClusterDisk.objects.filter(cluster=c, assignment="witness").exists()
    html = owner_client.get(reverse("console:cluster", args=[r2_lab.pk, c.pk])).content.decode()
    assert "Node and File Share Majority" in html


def test_quorum_wizard_2012_witness_choices(owner_client, fresh_lab, finish_operation, create_cluster_now):
    cluster = create_cluster_now(owner_client, fresh_lab)
    start = reverse("wizards:start", args=[fresh_lab.pk, "quorum"]) + f"?cluster={cluster.pk}"
    step(owner_client, start, action="next", cluster=cluster.pk)
    url, draft = draft_url(fresh_lab)
    html = step(owner_client, url, action="next", option="witness")
    assert "Configure a disk witness" in html and "cloud witness" not in html
    html = step(owner_client, url, action="next", witness="none")
    assert "Set-ClusterQuorum -Cluster CL2012 -NodeMajority" in html
    assert "can stop the cluster, but it survives 1 node failing one after another" in html
    html = step(owner_client, url, action="previous")
    html = step(owner_client, url, action="previous")
    html = step(owner_client, url, action="next", option="witness")
    html = step(owner_client, url, action="next", witness="disk")
    html = step(owner_client, url, action="next", disk="")
    assert "Select the disk to use as the witness" in html
    data_disk = ClusterDisk.objects.get(cluster=cluster, disk__name="Data")
    html = unescape(step(owner_client, url, action="next", disk=data_disk.pk))
    assert '-NodeAndDiskMajority "Cluster Disk' in html
    step(owner_client, url, action="next")
    finish_operation(fresh_lab, Operation.objects.get(kind="configure-quorum"))
    assert ClusterDisk.objects.get(pk=data_disk.pk).assignment == "witness"
    assert ClusterDisk.objects.filter(cluster=cluster, assignment="witness").count() == 1


def test_nodes_list_shows_current_votes_from_the_quorum_math(owner_client, make_generated_lab):
    lab = make_generated_lab(nodes=4, vms=2, os_version="2016")
    c = Cluster.objects.get(lab=lab)
    Cluster.objects.filter(pk=c.pk).update(quorum_type="NodeMajority")
    html = owner_client.get(reverse("console:nodes", args=[lab.pk, c.pk])).content.decode()
    # Four nodes, no witness, dynamic quorum: one vote is removed so the total stays odd.
    import re
    votes = re.findall(r'<td class="num">(\d)</td>\s*<td class="num">(\d)</td>', html)
    assert [v for _, v in votes].count("0") == 1 and len(votes) == 4


def test_2008_r2_build_puts_the_witness_on_the_500_mb_lun_with_a_warning(owner_client, owner, finish_operation,
                                                                           create_cluster_now):
    """Seed 002: Create Cluster picks the smallest disk of at least 512 MB (the 500 GB SQL LUN); the
    quorum wizard offers the 500 MB Quorum LUN anyway, warns, and puts the witness on Q:."""
    lab = labfile.load(labfile.lab_path("build-cluster-2008r2"), owner)
    cluster = create_cluster_now(owner_client, lab, names="WS08R2-S1,WS08R2-S2", name="WS08R2-CL01",
                                 ip="192.168.100.220")
    witness = ClusterDisk.objects.get(cluster=cluster, assignment="witness")
    assert witness.disk.drive_letter == "S" and cluster.quorum_type == "NodeAndDiskMajority"
    start = reverse("wizards:start", args=[lab.pk, "quorum"]) + f"?cluster={cluster.pk}"
    step(owner_client, start, action="next", cluster=cluster.pk)
    url, draft = draft_url(lab)
    html = unescape(step(owner_client, url, action="next", option="NodeAndDiskMajority"))
    q = ClusterDisk.objects.get(cluster=cluster, disk__drive_letter="Q")
    assert f'value="{q.pk}"' in html and "Q:" in html
    assert f"{q.name} is smaller than 512 MB, the size recommended for a disk witness" in html
    html = unescape(step(owner_client, url, action="next", disk=q.pk))
    assert f"{q.name} (Q:)" in html and "smaller than 512 MB" in html
    step(owner_client, url, action="next")
    finish_operation(lab, Operation.objects.get(kind="configure-quorum"))
    q.refresh_from_db()
    assert q.assignment == "witness"
    assert ClusterDisk.objects.get(pk=witness.pk).assignment == "available"


def test_a_2008_wizard_shows_cluster_exe_or_no_command_line(owner_client, owner, finish_operation):
    """2008 has no FailoverClusters module: Create Cluster shows cluster.exe's line, Validate none."""
    lab = labfile.load(labfile.lab_path("quick-migration-2008"), owner, name="qm-2008-b")
    Cluster.objects.filter(lab=lab).delete()
    step(owner_client, reverse("wizards:start", args=[lab.pk, "create-cluster"]), action="next")
    url, draft = draft_url(lab)
    step(owner_client, url, action="next", names="contoso3,contoso4")
    html = step(owner_client, url, action="next", run_validation="no")
    public = lab.networks.get(gateway__gt="")
    html = unescape(step(owner_client, url, action="next", name="contoso-cl2",
                         **{f"use_{public.pk}": "on", f"address_{public.pk}": str(public.ip_network[250])}))
    assert "Command-line equivalent (cluster.exe):" in html and "New-Cluster" not in html
    assert (f'cluster /cluster:contoso-cl2 /create /nodes:"contoso3 contoso4" /ipaddr:{public.ip_network[250]}/'
            f"{public.ip_network.netmask}") in html
    step(owner_client, reverse("wizards:start", args=[lab.pk, "validate"]), action="next")
    url, draft = draft_url(lab)
    step(owner_client, url, action="next", names="contoso3,contoso4")
    html = step(owner_client, url, action="next", mode="all")
    assert 'aria-current="step">Confirmation' in html
    assert "Test-Cluster" not in html and "powershell-line" not in html
