"""Each source document's walkthrough, from its own starting point, in its version's console and words.

One test per seed (the white papers and walkthroughs the product is built
from). Each loads the lab the document starts from, sets the lab's clock to
x60 from the status bar, and then drives the console only: the steps are
data in the format of an exercise's `[[solution]]` (docs/training.md),
played by visible labels through tests/browser/replay.py, with assertions on
what the page shows after the key moments.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.replay import Replayer


def load_lab(name):
    from fcm.engine import labfile
    from fcm.inventory import owners
    return labfile.load(labfile.lab_path(name), owners.administrator())


def open_lab(page, live_server_url, lab):
    """The lab's root in the console, its clock at x60."""
    replayer = Replayer(page, timeout_ms=60_000)
    page.goto(f"{live_server_url}/labs/{lab.pk}/")
    expect(page.locator(".tree")).to_be_visible()
    page.locator("#lab-clock button", has_text="\u00d760").click()
    expect(page.locator("#lab-clock .clock-speed")).to_have_text("\u00d760")
    return replayer


def step(do, *path, value=None, objective="-"):
    s = {"objective": objective, "do": do, "path": list(path)}
    if value is not None:
        s["value"] = value
    return s


def ok_and_reload(page):
    """A dialog's OK whose answer reloads the whole console (Enable Cluster Shared Volumes, Add storage).

    The replayer's wait for htmx to settle is left behind by the reload, so this one is clicked here.
    """
    with page.expect_navigation():
        page.locator("dialog[open]").get_by_role("button", name="OK", exact=True).click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def row(page, name, list_id=None):
    rows = page.locator(f"#{list_id} tbody tr" if list_id else "tbody tr:visible")
    return rows.filter(has=page.get_by_role("cell", name=name, exact=True)).first


# --- Seed 000: Windows Server 2008 quick migration white paper ------------------------------------------------

SEED_000_CLUSTER = [
    step("click", "Validate a Configuration...", "Next >", objective="validate"),
    step("type", "Enter name", value="contoso3, contoso4", objective="validate"),
    step("click", "Next >", "Next >", "Next >", "Finish", objective="validate"),
    step("click", "Create a Cluster...", "Next >", objective="create"),
    step("type", "Enter server name", value="contoso3, contoso4", objective="create"),
    step("click", "Next >", objective="create"),
    step("type", "Cluster Name", value="contoso-cl1", objective="create"),
    step("type", "Address on 192.168.1.0/24", value="192.168.1.20", objective="create"),
    step("click", "Next >", "Next >", "Finish", objective="create"),
]

SEED_000_HA = [
    # "You can select multiple virtual machines to make highly available in a single action."
    step("click", "contoso-cl1.contoso.com", "Services and Applications", "Configure a Service or Application...",
         "Next >", objective="ha"),
    step("choose", "Select Service or Application", value="Virtual Machine", objective="ha"),
    step("click", "Next >", objective="ha"),
    step("check", "Guest1", value=True, objective="ha"),
    step("check", "Guest7", value=True, objective="ha"),
    step("click", "Next >", "Next >", "Finish", objective="ha"),
    step("click", "Guest1", "Bring this service or application online", objective="online"),
    step("wait", "Guest1", value="Online", objective="online"),
    step("click", "Guest7", "Bring this service or application online", objective="online"),
    step("wait", "Guest7", value="Online", objective="online"),
]

SEED_000_MOVE = [
    step("click", "Guest1", "Move virtual machine(s) to another node", "1 - Move to node contoso4",
         objective="quick migration"),
]

SEED_000_HYPERV = [
    step("click", "Servers", "contoso4", "Virtual Machines", objective="hyper-v manager"),
    step("wait", "Guest1", value="Running", objective="hyper-v manager"),
]


@pytest.fixture
def lab_2008_unclustered(demo_labs):
    return load_lab("quick-migration-2008-unclustered")


def test_seed_000_quick_migration_2008_from_two_servers(lab_2008_unclustered, signed_in, live_server_url, shot):
    page = signed_in
    replayer = open_lab(page, live_server_url, lab_2008_unclustered)
    # 2008's snap-in calls itself "Failover Cluster Management" (2008 R2 renamed it).
    expect(page.locator(".tree a").first).to_have_text(re.compile(r"Failover Cluster Management$"))

    replayer.play(SEED_000_CLUSTER, "seed-000-cluster")
    expect(page.locator(".tree")).to_contain_text("contoso-cl1.contoso.com")

    replayer.play(SEED_000_HA, "seed-000-ha")
    for name in ("Guest1", "Guest7"):
        expect(row(page, name, "roles-list")).to_contain_text("Online")
        expect(row(page, name, "roles-list")).to_contain_text("contoso3")
    shot(page, "seed-000-online")

    replayer.play(SEED_000_MOVE, "seed-000-move")
    # "the virtual machine enters a pending state before it is moved"
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Pending")
    expect(page.locator("[id$='-detail-owner']")).to_have_text("contoso4", timeout=120_000)
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Online", timeout=120_000)
    expect(row(page, "Guest1", "roles-list")).to_contain_text("contoso4")
    expect(row(page, "Guest1", "roles-list")).to_contain_text("Online")
    expect(row(page, "Guest7", "roles-list")).to_contain_text("contoso3")
    shot(page, "seed-000-moved")
    # "In the following figure, you can see that virtual machine Guest1 is running on node contoso4."
    replayer.play(SEED_000_HYPERV, "seed-000-hyperv")
    expect(row(page, "Guest1")).to_contain_text("Running")


# --- Seed 002: Windows Server 2008 R2 live migration walkthrough ----------------------------------------------

SEED_002_BUILD = [
    step("click", "Validate a Configuration...", "Next >", objective="validate"),
    step("type", "Enter name", value="WS08R2-S1, WS08R2-S2", objective="validate"),
    step("click", "Next >", "Next >", "Next >", "Finish", objective="validate"),
    step("click", "Create a Cluster...", "Next >", objective="create"),
    step("type", "Enter server name", value="WS08R2-S1, WS08R2-S2", objective="create"),
    step("click", "Next >", objective="create"),
    step("type", "Cluster Name", value="WS08R2-CL01", objective="create"),
    step("type", "Address on 192.168.100.0/24", value="192.168.100.220", objective="create"),
    step("click", "Next >", "Next >", "Finish", objective="create"),
    # Create Cluster put the witness on the 500 GB SQL LUN; the walkthrough wants the 500 MB Quorum LUN, Q:.
    step("click", "WS08R2-CL01.contoso.com", "More Actions", "Configure Cluster Quorum Settings...", "Next >",
         objective="quorum"),
    step("choose", "Select Quorum Configuration",
         value="Node and Disk Majority (recommended for your current number of nodes)", objective="quorum"),
    step("click", "Next >", objective="quorum"),
]

SEED_002_WITNESS = [
    step("click", "Next >", "Next >", "Finish", objective="quorum"),
    step("click", "Enable Cluster Shared Volumes...", objective="csv"),
    step("check", "I have read the above notice", value=True, objective="csv"),
]

SEED_002_SAVE = [
    # Hyper-V Manager's Save on the host: the High Availability wizard takes only a VM that is off or saved.
    step("click", "Servers", "WS08R2-S1", "Virtual Machines", "vWS08-SQL01", "Save", objective="ha"),
    step("wait", "vWS08-SQL01", value="Saved", objective="ha"),
]

SEED_002_HA = [
    step("click", "WS08R2-CL01.contoso.com", "Services and Applications", "Configure a Service or Application...",
         "Next >", objective="ha"),
    step("choose", "Select Service or Application", value="Virtual Machine", objective="ha"),
    step("click", "Next >", objective="ha"),
    step("check", "vWS08-SQL01", value=True, objective="ha"),
    step("click", "Next >", "Next >", "Finish", objective="ha"),
    step("click", "vWS08-SQL01", "Bring this service or application online", objective="online"),
    step("wait", "vWS08-SQL01", value="Online", objective="online"),
]

SEED_002_LIVE = [
    step("click", "Live migrate virtual machine to another node", "1 - Live migrate to node WS08R2-S2",
         objective="live migration"),
]

WATCH_002 = [
    step("click", "WS08R2-CL01.contoso.com", "Services and Applications", "vWS08-SQL01", objective="watch"),
]


@pytest.fixture
def lab_2008r2_build(demo_labs):
    return load_lab("build-cluster-2008r2")


def build_2008r2(page, replayer):
    """Validate, create WS08R2-CL01, the witness on Q: (with the wizard's warning), Cluster Shared Volumes."""
    replayer.play(SEED_002_BUILD, "seed-002-build")
    wizard = page.locator("dialog[open]")
    quorum_lun = wizard.locator("tbody tr", has_text="Q:").first
    witness = re.search(r"Cluster Disk \d+", quorum_lun.inner_text()).group(0)
    # The 500 MB LUN is offered, with the warning the walkthrough accepts.
    expect(wizard).to_contain_text(f"{witness} is smaller than 512 MB, the size recommended for a disk witness")
    replayer.play([step("choose", "Configure Storage Witness", value=witness, objective="quorum")], "seed-002-witness")
    replayer.play(SEED_002_WITNESS, "seed-002-quorum-csv")
    ok_and_reload(page)
    expect(page.locator(".tree")).to_contain_text("Cluster Shared Volumes")
    # Enable Cluster Shared Volumes reloaded the cluster's summary.
    expect(page.locator("#cluster-quorum")).to_have_text(f"Node and Disk Majority ({witness})")

    # The VMs LUN (V:) goes onto a Cluster Shared Volume: Cluster Shared Volumes > Add storage.
    replayer.play([step("click", "Cluster Shared Volumes", "Add storage", objective="csv")], "seed-002-add-csv")
    vms = page.locator("dialog[open] tbody tr", has_text="V:").first
    disk = re.search(r"Cluster Disk \d+", vms.inner_text()).group(0)
    replayer.play([step("check", disk, value=True, objective="csv")], "seed-002-add-csv")
    ok_and_reload(page)
    replayer.play([step("click", "Cluster Shared Volumes", objective="csv")], "seed-002-csv")
    expect(page.locator("tbody tr:visible", has_text=disk)).to_contain_text("Cluster Shared Volume")


def test_seed_002_build_a_live_migration_cluster_2008r2(lab_2008r2_build, signed_in, live_server_url, shot):
    page = signed_in
    replayer = open_lab(page, live_server_url, lab_2008r2_build)
    expect(page.locator(".tree a").first).to_have_text(re.compile(r"Failover Cluster Manager$"))
    build_2008r2(page, replayer)
    shot(page, "seed-002-built")


def test_seed_002_make_vws08_sql01_highly_available_and_live_migrate_it(lab_2008r2_build, signed_in,
                                                                       second_console, live_server_url, shot):
    page = signed_in
    replayer = open_lab(page, live_server_url, lab_2008r2_build)
    build_2008r2(page, replayer)
    replayer.play(SEED_002_SAVE, "seed-002-save")
    replayer.timeout_ms = 60_000
    replayer.play(SEED_002_HA, "seed-002-ha")
    expect(page.locator("[id$='-detail-owner']")).to_have_text("WS08R2-S1")

    watcher = Replayer(second_console, timeout_ms=60_000)
    second_console.goto(f"{live_server_url}/labs/{lab_2008r2_build.pk}/")
    watcher.play(WATCH_002, "seed-002-watch")
    expect(second_console.locator("[id$='-detail-owner']")).to_have_text("WS08R2-S1")

    replayer.play(SEED_002_LIVE, "seed-002-live")
    info = second_console.locator("[id$='-detail-info']")
    expect(info).to_contain_text(re.compile(r"Live Migrating, \d+% completed"))
    shot(second_console, "seed-002-live-migrating")
    expect(second_console.locator("[id$='-detail-owner']")).to_have_text("WS08R2-S2", timeout=120_000)
    expect(second_console.locator("[id$='-detail-status']")).to_contain_text("Online")
    expect(info).not_to_contain_text("Live Migrating")
    expect(page.locator("[id$='-detail-owner']")).to_have_text("WS08R2-S2")
    shot(second_console, "seed-002-live-migrated")


# --- Seed 003: Dell, highly available Hyper-V with one LUN per VM; an unplanned failover -----------------------

SEED_003_VMS = {"SQL01": "High", "EXCH01": "Medium", "WEB01": "Low"}  # on HVNODE1; FILE01 runs on HVNODE2

SEED_003_LOOK = [
    step("click", "HVCLUSTER.contoso.com", "Services and Applications", "SQL01", "Resources", objective="one LUN per VM"),
]

SEED_003_CRASH = [
    step("click", "Nodes", "HVNODE1", "Simulate", "Power Off (crash)", objective="unplanned failover"),
    step("wait", "HVNODE1", value="Down", objective="unplanned failover"),
    step("click", "Cluster Events", objective="unplanned failover"),
    step("wait", value="1135", objective="unplanned failover"),
    step("click", "Services and Applications", objective="unplanned failover"),
]

SEED_003_POWER_ON = [
    step("click", "Nodes", "HVNODE1", objective="host back"),
    step("click", "Simulate", "Power On", objective="host back"),
    step("wait", "HVNODE1", value="Up", objective="host back"),
]


@pytest.fixture
def lab_one_lun_per_vm(demo_labs):
    return load_lab("one-lun-per-vm-2008")


def test_seed_003_host_failure_restarts_each_vm_on_a_surviving_node(lab_one_lun_per_vm, signed_in, live_server_url,
                                                                     shot):
    page = signed_in
    replayer = open_lab(page, live_server_url, lab_one_lun_per_vm)
    replayer.play(SEED_003_LOOK, "seed-003-look")
    # Its own LUN: the role holds a Physical Disk resource of its own.
    expect(page.locator("#selection")).to_contain_text(re.compile(r"Cluster Disk \d+"))
    replayer.play([step("click", "Services and Applications")], "seed-003-roles")
    for name in (*SEED_003_VMS, "FILE01"):
        expect(row(page, name, "roles-list")).to_contain_text("Online")
    for name in SEED_003_VMS:
        expect(row(page, name, "roles-list")).to_contain_text("HVNODE1")

    replayer.play(SEED_003_CRASH, "seed-003-crash")
    # Each VM restarts on its own: its disk moves alone, onto HVNODE2 or HVNODE3.
    for name in SEED_003_VMS:
        vm = row(page, name, "roles-list")
        expect(vm).to_contain_text("Online", timeout=120_000)
        expect(vm).to_contain_text(re.compile(r"HVNODE[23]"))
        expect(vm).not_to_contain_text("HVNODE1")
    expect(row(page, "FILE01", "roles-list")).to_contain_text("HVNODE2")
    placed = {name: re.search(r"HVNODE[23]", row(page, name, "roles-list").inner_text()).group(0)
              for name in SEED_003_VMS}
    print(f"\nseed 003: after HVNODE1 failed, {placed}")
    # SQL01 (High) restarts first, on the node with the most free memory (HVNODE3, empty).
    assert placed["SQL01"] == "HVNODE3", placed
    shot(page, "seed-003-failed-over")

    replayer.play(SEED_003_POWER_ON, "seed-003-power-on")
    expect(row(page, "HVNODE1", "nodes-list")).to_contain_text("Up")
    shot(page, "seed-003-host-back")


# --- Seed 004: Windows Server 2012 live migration, live storage migration and Hyper-V Replica ------------------

SEED_004_ONE_MOVE = [
    step("click", "HQ-CL.contoso.com", "Roles", "HQ-SQL01", "Move", "Live Migration", "Select Node...",
         objective="live migration"),
    step("choose", "Select the destination node", value="HQ-HV2", objective="live migration"),
    step("click", "OK", objective="live migration"),
    step("wait", "HQ-SQL01", value="HQ-HV2", objective="live migration"),
]

SEED_004_MANY_MOVES = [
    step("click", "Move", "Live Migration", "Best Possible Node / Select Node...", objective="queued live migrations"),
    step("choose", "Destination", value="HQ-HV1", objective="queued live migrations"),
]

SEED_004_STORAGE = [
    step("click", "HQ-SQL01", "Move", "Virtual Machine Storage", objective="live storage migration"),
    step("choose", "Volume", value=r"Cluster Disk 3 C:\ClusterStorage\Volume2", objective="live storage migration"),
    step("click", "Start", objective="live storage migration"),
]

SEED_004_REPLICA = [
    step("click", "HQ-WEB01", "Replication", "Enable Replication...", "Next >", objective="replica"),
    step("type", "Replica server", value="DR-BROKER", objective="replica"),
    step("click", "Next >", "Next >", "Next >", "Next >", "Next >", "Finish", objective="replica"),
    step("click", "Finish", objective="replica"),
    step("click", "Replication", objective="replica"),
    step("wait", value="Replication Enabled", objective="replica"),
]

SEED_004_TEST_FAILOVER = [
    step("click", "DR-CL.contoso.com", "Roles", "HQ-WEB01", "Replication", "Test Failover...", "Test Failover",
         objective="test failover"),
    step("click", "Replication", objective="test failover"),
    step("wait", value="Test failover running: HQ-WEB01 - Test", objective="test failover"),
]

SEED_004_STOP_TEST = [
    step("click", "Replication", "Stop Test Failover", objective="test failover"),
]

SEED_004_PLANNED = [
    step("click", "HQ-CL.contoso.com", "Roles", "HQ-WEB01", "Shut Down", objective="planned failover"),
    step("wait", "HQ-WEB01", value="Off", objective="planned failover"),
    step("click", "Replication", "Planned Failover...", "Fail Over", objective="planned failover"),
    step("click", "Replication", objective="planned failover"),
    step("wait", value="DR-BROKER.contoso.com", objective="planned failover"),
    step("click", "DR-CL.contoso.com", "Roles", objective="planned failover"),
    step("wait", "HQ-WEB01", value="Running", objective="planned failover"),
]


@pytest.fixture
def lab_2012_replica(demo_labs):
    """replica-dr-2012 with a second Cluster Shared Volume at HQ, for the live storage migration."""
    from fcm.engine import labfile
    from fcm.inventory import owners
    path = labfile.lab_path("replica-dr-2012")
    data = labfile.read(path)
    data["disks"].append({"name": "HQ-VMs2", "size": "2 TB", "target": "10.1.2.1:3260", "throughput_mib_s": 400,
                          "seen_by": ["HQ-HV1", "HQ-HV2"]})
    next(c for c in data["clusters"] if c["name"] == "HQ-CL")["disks"].append(
        {"disk": "HQ-VMs2", "assignment": "csv"})
    return labfile.load(path, owners.administrator(), name="replica-dr-2012-storage", data=data)


def roles_with(page, text):
    return page.locator("#roles-list tbody tr", has_text=text)


def test_seed_004_live_migrations_storage_migration_and_hyper_v_replica_2012(lab_2012_replica, signed_in,
                                                                             live_server_url, shot):
    page = signed_in
    replayer = open_lab(page, live_server_url, lab_2012_replica)
    expect(page.locator(".tree a").first).to_have_text(re.compile(r"Failover Cluster Manager$"))
    replayer.play(SEED_004_ONE_MOVE, "seed-004-one-move")
    for name in ("HQ-SQL01", "HQ-WEB01", "HQ-FILE01"):
        expect(row(page, name, "roles-list")).to_contain_text("HQ-HV2")

    # Three live migrations at once from HQ-HV2: 2012 runs two per host at a time, the third waits.
    # The clock is paused from the status bar while they are started, so the queue can be read.
    page.locator("#lab-clock button[value=pause]").click()
    expect(page.locator("#lab-clock .clock-speed")).to_have_text("Paused")
    row(page, "HQ-SQL01", "roles-list").click()
    row(page, "HQ-WEB01", "roles-list").click(modifiers=["Control"])
    row(page, "HQ-FILE01", "roles-list").click(modifiers=["Control"])
    expect(page.locator("#selection")).to_contain_text("3 items selected")
    replayer.play(SEED_004_MANY_MOVES, "seed-004-many-moves")
    expect(page.locator("dialog[open]")).to_contain_text("(2 per node) wait in a queue")
    replayer.play([step("click", "OK", objective="queued live migrations")], "seed-004-many-moves-ok")
    expect(roles_with(page, re.compile(r"Live Migrating, \d+% completed"))).to_have_count(2)
    expect(roles_with(page, "Live Migration Queued")).to_have_count(1)
    shot(page, "seed-004-queued")
    page.locator("#lab-clock button[value=resume]").click()
    expect(page.locator("#lab-clock .clock-speed")).not_to_have_text("Paused")
    page.locator("#lab-clock button", has_text="\u00d760").click()
    expect(page.locator("#lab-clock .clock-speed")).to_have_text("\u00d760")
    for name in ("HQ-SQL01", "HQ-WEB01", "HQ-FILE01"):
        expect(row(page, name, "roles-list")).to_contain_text("HQ-HV1", timeout=120_000)
        expect(row(page, name, "roles-list")).to_contain_text("Running")
    expect(roles_with(page, "Queued")).to_have_count(0)

    # Live storage migration: HQ-SQL01's files move to the second volume while it runs.
    replayer.play(SEED_004_STORAGE, "seed-004-storage")
    # The VM keeps running while its files move; then its details show them on the second volume.
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(row(page, "HQ-SQL01", "roles-list")).to_contain_text("Running")
    expect(page.locator("#selection")).to_contain_text(r"C:\ClusterStorage\Volume2\HQ-SQL01", timeout=120_000)
    shot(page, "seed-004-storage-moved")

    # Hyper-V Replica: HQ-WEB01 to DR-BROKER, a test failover on the replica, then a planned failover.
    replayer.play(SEED_004_REPLICA, "seed-004-replica")
    replayer.play(SEED_004_TEST_FAILOVER, "seed-004-test-failover")
    expect(page.locator("#actions")).to_contain_text("Stop Test Failover")
    shot(page, "seed-004-test-failover")
    replayer.play(SEED_004_STOP_TEST, "seed-004-stop-test")
    expect(page.locator("#actions")).to_contain_text("Test Failover...")
    replayer.play(SEED_004_PLANNED, "seed-004-planned")
    expect(row(page, "HQ-WEB01", "roles-list")).to_contain_text("Running")
    shot(page, "seed-004-planned-failover")
