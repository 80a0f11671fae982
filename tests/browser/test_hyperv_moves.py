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
    wizard.get_by_label("Name:").fill("HV09")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("The server name 'HV09' could not be resolved.")
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


def move_only_the_vm(page):
    """The selected VM's Move Wizard to HV02 with Move only the virtual machine, up to the page after it."""
    page.locator("#actions .action", has_text="Move...").click()
    wizard = page.locator("#wizard-dialog")
    wizard.get_by_role("button", name="Next >").click()  # Before You Begin
    expect(wizard.get_by_label("Move the virtual machine", exact=True)).to_be_checked()
    wizard.get_by_role("button", name="Next >").click()
    wizard.get_by_label("Name:").fill("HV02")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("Choose how you want to move")
    wizard.get_by_label("Move only the virtual machine").check()
    wizard.get_by_role("button", name="Next >").click()
    return wizard


def test_an_smb_live_migration_after_the_destination_is_given_the_share(signed_in, live_server_url, shot):
    """APP02's files are on \\\\FS01\\VMs: HV02 is refused until its account has Full Control of the share, then
    only the VM moves (its memory), and its files stay on the share."""
    call_command("loadlab", "shared-nothing-2012", verbosity=0)
    from fcm.inventory.models import Node
    Node.objects.filter(name="HV02", lab__name="shared-nothing-2012").update(
        vm_migration_enabled=True, migration_authentication="Kerberos")
    page = signed_in
    open_vms(page, live_server_url, "HV01")
    page.locator("#server-vms tbody tr", has_text="APP02").click()
    expect(page.locator("#selection")).to_contain_text(r"\\FS01\VMs\APP02 (SMB 3.0 share \\FS01\VMs)")
    wizard = move_only_the_vm(page)
    expect(wizard).to_contain_text(r"Hyper-V on HV02 does not have permission to access \\FS01\VMs")
    shot(page, "smb-move-refused")
    wizard.get_by_role("button", name="Cancel").click()

    page.locator("#servers-list tbody tr", has_text="FS01").click()
    expect(page.locator("#selection .detail-header")).to_contain_text("FS01.contoso.com")
    page.locator("#selection .tab", has_text="Shares").click()
    page.locator("#server-shares tbody tr", has_text="VMs").click()
    page.locator("#actions .action", has_text="Properties").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("VMs Properties")
    expect(dialog.get_by_label("CONTOSO\\HV01$")).to_be_checked()
    dialog.get_by_label("CONTOSO\\HV02$").check()
    shot(page, "share-properties")
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator("#server-shares tbody tr", has_text="VMs")).to_contain_text("HV01$, HV02$")

    open_vms(page, live_server_url, "HV01")
    page.locator("#server-vms tbody tr", has_text="APP02").click()
    wizard = move_only_the_vm(page)
    expect(wizard).to_contain_text("Move only the virtual machine")
    expect(wizard).not_to_contain_text("Choose a new location")
    expect(wizard.locator("#powershell-line")).to_have_text("Move-VM -Name APP02 -ComputerName HV01 "
                                                            "-DestinationHost HV02")
    shot(page, "smb-move-summary")
    wizard.get_by_role("button", name="Finish").click()
    expect(wizard).to_contain_text(r"APP02 runs on HV02 now, with its files still in \\FS01\VMs\APP02",
                                   timeout=60000)
    shot(page, "smb-move-done")
    wizard.get_by_role("button", name="Finish").click()
    open_vms(page, live_server_url, "HV02")
    expect(page.locator("#server-vms tbody tr", has_text="APP02")).to_contain_text("Running")
