"""Network and storage faults on the 2008 R2 cluster, caused from one console and watched from another."""
import re

from playwright.sync_api import expect

from tests.browser.test_console import open_r2_lab


def settled(page):
    """After a reload: the socket has said when the lab last changed, and any catch-up listing is done."""
    page.locator("#lab-sync[data-changed]").wait_for(state="attached")
    page.wait_for_load_state("networkidle")


def act(page, label):
    """Click a Simulate / node action: the console reloads itself once the server has acted."""
    with page.expect_event("load"):
        page.locator("#actions .action", has_text=label).click()
    settled(page)


def test_a_cut_network_and_a_lost_storage_path(signed_in, second_console, shot):
    a, b = signed_in, second_console
    open_r2_lab(a)
    open_r2_lab(b)
    a.locator("#lab-clock button", has_text="\u00d710").click()
    expect(b.locator("#lab-clock .clock-speed")).to_have_text("\u00d710")
    b.locator(".tree a", has_text="Nodes").click()
    s2 = b.locator("#nodes-list tbody tr", has_text="WS08R2-S2")
    expect(s2).to_contain_text("Up")

    # The switch of the only heartbeat network fails: the nodes cannot hear each other.
    a.locator(".tree a", has_text="Networks").click()
    a.locator("#networks-list tbody tr").filter(has_text=re.compile("Cluster and Client")).click()
    act(a, "Disconnect Network")
    expect(a.locator("#networks-list tbody tr").filter(has_text=re.compile("Cluster and Client"))) \
        .to_contain_text("Down")
    # WS08R2-S1 holds the witness disk: its side keeps quorum, WS08R2-S2 is removed (1135).
    expect(s2).to_contain_text("Down", timeout=10000)
    expect(b.locator("#nodes-list tbody tr", has_text="WS08R2-S1")).to_contain_text("Up")
    shot(b, "faults-network-down")

    a.locator("#networks-list tbody tr").filter(has_text=re.compile("Cluster and Client")).click()
    act(a, "Reconnect Network")
    expect(s2).to_contain_text("Up", timeout=10000)

    # WS08R2-S1 loses its iSCSI path: the CSV stays online through redirected access.
    b.locator(".tree a", has_text="Storage").click()
    a.locator(".tree a", has_text="Nodes").click()
    a.locator("#nodes-list tbody tr", has_text="WS08R2-S1").click()
    act(a, "Disconnect Storage")
    csv = b.locator("#disks-list tbody tr", has_text="Cluster Disk 2")
    expect(csv).to_contain_text("Online (Redirected Access)")
    expect(csv).to_contain_text("WS08R2-S2")  # the coordinator moved to the node that has a path
    csv.click()
    expect(b.locator("#selection")).to_contain_text("Redirected")
    shot(b, "faults-csv-redirected")
    b.locator(".tree a", has_text="Cluster Events").click()
    expect(b.locator("#events-list")).to_contain_text("5121")
    expect(b.locator("#events-list")).to_contain_text("1135")


def test_losing_the_witness_then_force_cluster_start(signed_in, shot):
    page = signed_in
    page.get_by_role("link", name="Quick migration, Windows Server 2008", exact=True).click()
    page.locator(".tree a", has_text="contoso-cl1.contoso.com").click()
    page.locator("#lab-clock button", has_text="\u00d760").click()
    page.locator(".tree a", has_text="Nodes").click()
    page.locator("#nodes-list tbody tr", has_text="contoso4").click()
    act(page, "Power Off (crash)")
    expect(page.locator("#nodes-list tbody tr", has_text="contoso4")).to_contain_text("Down", timeout=10000)

    # contoso3 and the witness disk still hold two votes of three; then the witness LUN fails.
    page.locator(".tree a", has_text="Storage").click()
    page.locator("#disks-list tbody tr", has_text="Disk Witness in Quorum").click()
    act(page, "Fail Disk")
    expect(page.locator("#disks-list tbody tr", has_text="Disk Witness in Quorum")).to_contain_text("Failed")
    page.locator(".tree a", has_text="contoso-cl1.contoso.com").click()
    expect(page.locator("#cluster-state")).to_contain_text("no quorum")
    shot(page, "faults-quorum-lost")

    act(page, "Force Cluster Start")
    expect(page.locator("#cluster-state")).to_contain_text("forced quorum", timeout=10000)
    shot(page, "faults-forced-quorum")
    # Guest1 was online when quorum was lost: it boots again, its row following live.
    page.locator(".tree a", has_text="Services and Applications").click()
    guest1 = page.locator("#roles-list tbody tr", has_text="Guest1")
    expect(guest1).to_contain_text("Online", timeout=35000)
    expect(guest1).to_contain_text("contoso3")

    page.locator(".tree a", has_text="Storage").click()
    page.locator("#disks-list tbody tr", has_text="Disk Witness in Quorum").click()
    act(page, "Repair Disk")
    expect(page.locator("#disks-list tbody tr", has_text="Disk Witness in Quorum")).to_contain_text("Online")
    page.locator(".tree a", has_text="Cluster Events").click()
    expect(page.locator("#events-list")).to_contain_text("1177")
    expect(page.locator("#events-list")).to_contain_text("1034")


def test_2016_isolated_node_keeps_its_vms_unmonitored(signed_in, live_server_url, make_generated_lab, shot):
    lab = make_generated_lab(nodes=3, vms=6, os_version="2016")
    page = signed_in
    page.goto(f"{live_server_url}/labs/{lab.pk}/")
    page.locator(".tree a", has_text="GEN-CL01").click()
    # Cluster Properties: a threshold out of range is refused at its field; a good one is kept.
    page.locator("#actions .action", has_text="Properties").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("Quarantine threshold").fill("500")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_contain_text("Quarantine threshold must be from 0 to 100.")
    shot(page, "faults-cluster-properties")
    dialog.get_by_label("Quarantine threshold").fill("5")
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator("#action-dialog")).to_have_count(0)
    page.locator("#lab-clock button", has_text="\u00d710").click()
    page.locator(".tree a", has_text="Nodes").click()
    hv3 = page.locator("#nodes-list tbody tr", has_text="HV03")
    hv3.click()
    page.locator("#selection .tabs a", has_text="Network Connections").click()
    for name in ("Management", "Cluster", "Live Migration"):  # every network that carries heartbeats
        with page.expect_event("load"):
            page.locator("#selection tr", has_text=f"HV03 - {name}").get_by_role("button", name="Disconnect").click()
        settled(page)
        expect(page.locator("#selection tr", has_text=f"HV03 - {name}")).to_contain_text("Failed")
    expect(hv3).to_contain_text("Isolated", timeout=10000)
    expect(hv3).to_contain_text("Not in active membership")
    page.locator(".tree a", has_text="Roles").click()
    expect(page.locator("#roles-list tbody tr", has_text="HV03").first).to_contain_text("Unmonitored")
    shot(page, "faults-isolated-unmonitored")
    page.locator(".tree a", has_text="Nodes").click()
    hv3.click()
    page.locator("#selection .tabs a", has_text="Network Connections").click()
    with page.expect_event("load"):
        page.locator("#selection tr", has_text="HV03 - Cluster").get_by_role("button", name="Reconnect").click()
    settled(page)
    expect(page.locator("#selection tr", has_text="HV03 - Cluster")).to_contain_text("Up")  # the page refreshed
    expect(hv3).to_contain_text("Up", timeout=10000)
    page.locator(".tree a", has_text="Cluster Events").click()
    expect(page.locator("#events-list")).to_contain_text("1673")
    expect(page.locator("#events-list")).to_contain_text("1680")
