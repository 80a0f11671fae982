"""Storage and network administration from one console, watched from another: a network renamed and kept
out of cluster traffic, a disk left out of the cluster added, Available Storage moved."""
import pytest
from playwright.sync_api import expect

LAB_TITLE = "Storage and network administration, Windows Server 2012"


@pytest.fixture
def admin_lab(demo_labs):
    from fcm.engine import labfile
    from fcm.inventory import owners
    return labfile.load(labfile.lab_path("storage-network-admin-2012"), owners.administrator())


def open_cluster(page):
    page.get_by_role("link", name=LAB_TITLE).click()
    page.locator(".tree a", has_text="CL01.contoso.com").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster CL01.contoso.com")


def settled(page):
    """After the console reloaded itself: the socket has said when the lab last changed."""
    page.locator("#lab-sync[data-changed]").wait_for(state="attached")
    page.wait_for_load_state("networkidle")


def test_rename_a_network_change_its_cluster_use_and_add_a_disk(admin_lab, signed_in, second_console, shot):
    a, b = signed_in, second_console
    open_cluster(a)
    open_cluster(b)
    b.locator(".tree a", has_text="Networks").click()
    iscsi_b = b.locator("#networks-list tbody tr", has_text="10.30.0.0/24")
    expect(iscsi_b).to_contain_text("Cluster Network 3")
    expect(iscsi_b).to_contain_text("Cluster Only")
    settled(b)

    # A: Networks > Cluster Network 3 > Properties: rename it and keep cluster traffic off it.
    a.locator(".tree a", has_text="Networks").click()
    a.locator("#networks-list tbody tr", has_text="Cluster Network 3").click()
    expect(a.locator("#selection")).to_contain_text("10.30.0.0/24")
    a.locator("#actions .action", has_text="Properties").click()
    dialog = a.locator("#action-dialog")
    expect(dialog).to_contain_text("Allow clients to connect through this network")
    dialog.get_by_label("Name").fill("Storage")
    dialog.get_by_label("Do not allow cluster network communication on this network").check()
    shot(a, "network-properties")
    with a.expect_event("load"):
        dialog.get_by_role("button", name="OK").click()
    settled(a)
    iscsi_a = a.locator("#networks-list tbody tr", has_text="10.30.0.0/24")
    expect(iscsi_a).to_contain_text("Storage")
    expect(iscsi_a).to_contain_text("None")

    # B sees it without reloading: the row's name and cluster use are pushed.
    expect(iscsi_b).to_contain_text("Storage")
    expect(iscsi_b).to_contain_text("None")
    shot(b, "network-renamed-elsewhere")

    # A refusal stays in the dialog, at its field.
    public = a.locator("#networks-list tbody tr", has_text="10.10.0.0/24")
    public.click()
    expect(a.locator("#actions .action-group-selected h2")).to_have_text("Cluster Network 1")
    a.locator("#actions .action", has_text="Properties").click()
    dialog = a.locator("#action-dialog")
    dialog.get_by_label("Name").fill("Storage")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator(".field-error")).to_contain_text("already has a network named")
    dialog.get_by_role("button", name="Cancel").click()
    expect(a.locator("#action-dialog")).to_have_count(0)

    # A: Storage > Disks > Add Disk: Archive, left out when the cluster was created, joins Available Storage.
    b.locator(".tree a", has_text="Disks").click()
    expect(b.locator("#disks-list")).to_contain_text("Cluster Disk 3")
    settled(b)
    a.locator(".tree a", has_text="Disks").click()
    expect(a.locator("#disks-list")).not_to_contain_text("Cluster Disk 4")
    a.locator("#actions .action", has_text="Add Disk").click()
    dialog = a.locator("#action-dialog")
    expect(dialog).to_contain_text("Archive")
    expect(dialog).not_to_contain_text("Legacy")
    dialog.get_by_label("Cluster Disk 4").check()
    shot(a, "add-disk")
    with a.expect_event("load"):
        dialog.get_by_role("button", name="OK").click()
    settled(a)
    added = a.locator("#disks-list tbody tr", has_text="Cluster Disk 4")
    expect(added).to_contain_text("Available Storage")
    expect(added).to_contain_text("Online")
    # B's open Disks list lists itself again.
    expect(b.locator("#disks-list tbody tr", has_text="Cluster Disk 4")).to_contain_text("Available Storage")
    shot(b, "disk-added-elsewhere")

    # A: Move Available Storage > Select Node... > HV-B; both consoles watch the disks come online there.
    a.locator("#actions .action", has_text="Select Node...").click()
    dialog = a.locator("#action-dialog")
    expect(dialog).to_contain_text("Move Available Storage")
    dialog.get_by_label("HV-B").check()
    with a.expect_event("load"):
        dialog.get_by_role("button", name="OK").click()
    for page in (a, b):
        for name in ("Cluster Disk 3", "Cluster Disk 4"):
            row = page.locator("#disks-list tbody tr", has_text=name)
            expect(row).to_contain_text("HV-B", timeout=15000)
            expect(row).to_contain_text("Online", timeout=15000)
            expect(row).not_to_contain_text("Pending", timeout=15000)
    shot(b, "available-storage-moved")
