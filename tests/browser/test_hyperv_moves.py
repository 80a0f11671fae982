"""Hyper-V Manager's Move Wizard: APP01 moves from HV01 to HV02 with its storage while it runs (a shared-nothing
live migration), watched from a second console whose Status column follows the move, pushed."""
import re

from django.core.management import call_command
from playwright.sync_api import expect

LAB = "Two standalone Windows Server 2012 Hyper-V hosts"


def open_vms(page, live_server_url, server):
    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name=LAB, exact=True).click()
    page.locator(".tree a", has_text="Servers").click()
    page.locator("#servers-list tbody tr", has_text=server).click()
    page.locator("#selection .tab", has_text="Virtual Machines").click()


def test_a_shared_nothing_move_of_a_running_vm_watched_from_a_second_console(
        signed_in, second_console, live_server_url, shot):
    call_command("loadlab", "shared-nothing-2012", verbosity=0)
    from fcm.inventory.models import Node
    Node.objects.filter(name="HV02", lab__name="shared-nothing-2012").update(
        vm_migration_enabled=True, migration_authentication="Kerberos")
    a, b = signed_in, second_console
    open_vms(a, live_server_url, "HV01")
    open_vms(b, live_server_url, "HV01")
    a.locator("#lab-clock button", has_text="\u00d760").click()
    a.locator("#server-vms tbody tr", has_text="APP01").click()
    a.locator("#actions .action", has_text="Move...").click()
    wizard = a.locator("#wizard-dialog")
    expect(wizard.locator("#wizard-title")).to_have_text(re.compile(r'Move "APP01" Wizard'))
    wizard.get_by_role("button", name="Next >").click()  # Before You Begin
    expect(wizard.get_by_label("Move the virtual machine", exact=True)).to_be_checked()
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Name:").fill("HV03")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("The server name 'HV03' could not be resolved.")
    wizard.get_by_label("Name:").fill("HV02")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.get_by_label("Move the virtual machine's data to a single location")).to_be_checked()
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Folder:").fill(r"D:\Hyper-V\APP01")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("You have successfully completed the Move Wizard.")
    expect(wizard.locator("#powershell-line")).to_contain_text("Move-VM -Name APP01 -ComputerName HV01 "
                                                               "-DestinationHost HV02 -IncludeStorage")
    shot(a, "move-wizard-summary")
    wizard.get_by_role("button", name="Finish").click()
    expect(wizard).to_contain_text("Performing the move of APP01 to HV02")
    # The second console was never touched: its Status column is pushed.
    status = b.locator("#server-vms tbody tr", has_text="APP01").locator("[id$='-status']")
    expect(status).to_have_text(re.compile(r"Migrating \(\d+%\)"), timeout=20000)
    shot(b, "move-watched")
    first = int(re.search(r"\((\d+)%\)", status.inner_text()).group(1))
    expect(status).not_to_have_text(f"Migrating ({first}%)", timeout=20000)  # it moves on
    expect(wizard).to_contain_text("APP01 runs on HV02 now", timeout=60000)
    shot(a, "move-wizard-done")
    # HV01's list no longer shows APP01 (listed again when it left); HV02's does, Running.
    expect(b.locator("#server-vms tbody tr", has_text="APP01")).to_have_count(0, timeout=20000)
    open_vms(b, live_server_url, "HV02")
    expect(b.locator("#server-vms tbody tr", has_text="APP01")).to_contain_text("Running")
