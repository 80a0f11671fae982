"""Servers: Hyper-V Manager's Save on a virtual machine in no cluster, watched live until Saved."""
import re

from django.core.management import call_command
from playwright.sync_api import expect


def test_save_vws08_sql01_from_the_servers_view_and_watch_it_saved(signed_in, live_server_url, shot):
    # The 2008 R2 build lab (not a demo lab): vWS08-SQL01 runs on WS08R2-S1 before any cluster exists.
    call_command("loadlab", "build-cluster-2008r2", verbosity=0)
    page = signed_in
    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name="Build a live migration cluster, Windows Server 2008 R2", exact=True).click()
    page.locator(".tree a", has_text="Servers").click()
    page.locator("#servers-list tbody tr", has_text="WS08R2-S1").click()
    page.locator("#selection .tab", has_text="Virtual Machines").click()
    row = page.locator("#server-vms tbody tr", has_text="vWS08-SQL01")
    expect(row).to_contain_text("Running")
    row.click()
    group = page.locator("#actions .action-group-selected")
    expect(group.locator("h2")).to_have_text("vWS08-SQL01")
    expect(page).to_have_url(re.compile(r"/labs/\d+/servers/\d+/vms/\d+/$"))   # the VM's own URL
    expect(group).to_contain_text("Turn Off...")
    expect(group).to_contain_text("Pause")
    # Saving 4 GB at the VMs LUN's 100 MiB/s takes about 42 s of lab time: at x10, a few seconds.
    page.locator("#lab-clock button", has_text="\u00d710").click()
    group.locator(".action", has_text="Save").click()
    state = page.locator("[id$='-detail-state']")
    expect(state).to_contain_text("Saving")
    expect(row).to_contain_text("Saving")
    shot(page, "server-vm-saving")
    expect(state).to_contain_text("Saved", timeout=30000)
    expect(row).to_contain_text("Saved")
    # The Actions pane follows the state: a saved VM starts again.
    expect(group.locator(".action", has_text="Start")).to_be_visible()
    expect(group).not_to_contain_text("Pause")
    shot(page, "server-vm-saved")
