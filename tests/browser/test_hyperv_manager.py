"""Hyper-V Manager on Windows Server 2012 R2: Connect to Server..., a checkpoint of a running VM taken, applied
with Take Checkpoint and Apply, and deleted (its differencing disk merged), while a second console connected to
the same server sees the Checkpoints pane and the Status change, pushed."""
import re

from django.core.management import call_command
from playwright.sync_api import expect

LAB = "Two standalone Windows Server 2012 Hyper-V hosts"


def connect(page, live_server_url, server, vm="APP01", lab=LAB):
    page.goto(f"{live_server_url}/")
    page.get_by_role("link", name=lab, exact=True).click()
    page.locator(".tree a", has_text="Hyper-V Manager").click()
    expect(page.locator(".titlebar-name")).to_have_text("Hyper-V Manager")
    page.locator("#actions .action", has_text="Connect to Server...").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("Another computer:").fill("HV09")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator("#computer-error")).to_contain_text('The computer "HV09" could not be resolved.')
    dialog.get_by_label("Another computer:").fill(server)
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator(".tree a.selected")).to_have_text(server)
    if vm is None:
        return
    page.locator("#hyperv-vms tbody tr", has_text=vm).click()
    expect(page.locator("#selection .checkpoints")).to_contain_text("The selected virtual machine has no checkpoints.")


def select(page, name):
    """Select a checkpoint and wait for its own Actions group (a push may redraw the pane under the click)."""
    page.locator("#selection .checkpoint-tree a", has_text=name).click()
    expect(page.locator("#selection .checkpoint-tree li.selected")).to_contain_text(name)
    expect(page.locator("#actions .action-group-selected")).to_contain_text(name)


def test_a_checkpoint_taken_applied_and_deleted_watched_from_a_second_console(
        signed_in, second_console, live_server_url, shot):
    call_command("loadlab", "shared-nothing-2012", verbosity=0)
    from fcm.inventory.models import Node
    Node.objects.filter(lab__name="shared-nothing-2012").update(os_version="2012R2")
    a, b = signed_in, second_console
    connect(a, live_server_url, "HV01")
    connect(b, live_server_url, "HV01")
    a.locator("#lab-clock button", has_text="\u00d710").click()

    a.locator("#actions .action", has_text=re.compile(r"^\s*Checkpoint\s*$")).click()
    status = b.locator("#hyperv-vms tbody tr", has_text="APP01").locator("[id$='-status']")
    expect(status).to_have_text(re.compile(r"Creating checkpoint \(\d+%\)"), timeout=20000)
    shot(b, "hyperv-checkpoint-creating")
    first = b.locator("#selection .checkpoint-tree a", has_text="APP01 - (")
    expect(first).to_be_visible(timeout=60000)  # pushed into the console that did nothing
    expect(b.locator("#selection .checkpoint-tree li.now")).to_have_text(re.compile(r"Now"))
    expect(b.locator("#selection [id$='-drives']")).to_contain_text(re.compile(r"APP01_[0-9A-F-]{36}\.avhdx"))

    select(a, "APP01 - (")
    a.locator("#actions .action", has_text="Rename...").click()
    a.locator("#action-dialog").get_by_label("Name:").fill("Before update")
    a.locator("#action-dialog").get_by_role("button", name="OK").click()
    expect(b.locator("#selection .checkpoint-tree")).to_contain_text("Before update", timeout=20000)

    select(a, "Before update")
    a.locator("#actions .action", has_text="Apply...").click()
    dialog = a.locator("#action-dialog")
    expect(dialog).to_contain_text('Are you sure you want to apply the selected checkpoint "Before update"?')
    shot(a, "hyperv-apply-checkpoint")
    dialog.get_by_role("button", name="Take Checkpoint and Apply").click()
    state = b.locator("#hyperv-vms tbody tr", has_text="APP01").locator("[id$='-state']")
    expect(state).to_have_text(re.compile("Saved"), timeout=60000)
    row = b.locator("#hyperv-vms tbody tr", has_text="APP01")
    expect(row.locator("[id$='-memory']")).to_have_text("")  # a saved VM holds no memory and has no uptime
    expect(row.locator("[id$='-uptime']")).to_have_text("")
    # the current state was kept first: two checkpoints, "Now" under Before update
    expect(b.locator("#selection .checkpoint-tree a")).to_have_count(2)
    expect(b.locator("#selection .checkpoint-tree li").last).to_have_text(re.compile("Now"))
    shot(b, "hyperv-checkpoints-after-apply")

    select(a, "APP01 - (")
    a.locator("#actions .action", has_text="Delete Checkpoint...").click()
    a.locator("#action-dialog").get_by_role("button", name="Delete").click()
    expect(b.locator("#selection .checkpoint-tree a")).to_have_count(1, timeout=20000)
    select(a, "Before update")
    a.locator("#actions .action", has_text="Delete Checkpoint...").click()
    a.locator("#action-dialog").get_by_role("button", name="Delete").click()
    expect(b.locator("#selection .checkpoints")).to_contain_text("has no checkpoints", timeout=20000)
    expect(b.locator("#selection [id$='-drives']")).to_contain_text(r"D:\Hyper-V\APP01\APP01.vhdx", timeout=60000)
    shot(b, "hyperv-merged")


def test_virtual_switch_manager_creates_and_removes_a_switch(signed_in, live_server_url, shot):
    call_command("loadlab", "shared-nothing-2012", verbosity=0)
    page = signed_in
    connect(page, live_server_url, "HV02", vm=None)
    page.locator("#actions .action", has_text="Virtual Switch Manager...").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Virtual Switch Manager for HV02")
    expect(dialog.locator("#virtual-switches")).to_contain_text("External")
    dialog.get_by_role("button", name="Create Virtual Switch").click()
    expect(dialog.locator("#name-error")).to_have_text("Type a name for the virtual switch.")
    dialog.get_by_label("Name:").fill("Isolated")
    dialog.get_by_label("Private network").check()
    dialog.get_by_role("button", name="Create Virtual Switch").click()
    expect(dialog).to_contain_text("The virtual switch 'Isolated' was created.")
    expect(dialog.locator("#virtual-switches tbody tr", has_text="Isolated")).to_contain_text("Private network")
    expect(dialog).to_be_visible()
    shot(page, "hyperv-switch-manager")
    dialog.get_by_role("button", name="Remove Isolated").click()
    expect(dialog).to_contain_text("The virtual switch 'Isolated' was removed.")
    expect(dialog.locator("#virtual-switches")).not_to_contain_text("Isolated")
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator("#action-dialog")).to_have_count(0)


def test_a_vms_settings_refuse_while_it_runs_and_apply_once_it_is_off(signed_in, live_server_url, shot):
    call_command("loadlab", "shared-nothing-2012r2", verbosity=0)
    page = signed_in
    connect(page, live_server_url, "HV01", lab="Two standalone Windows Server 2012 R2 Hyper-V hosts")
    page.locator("#actions").get_by_role("link", name="Settings...", exact=True).click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Settings for APP01 on HV01")
    dialog.get_by_label("Number of virtual processors:").fill("4")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator("#vcpus-error")).to_contain_text("can be changed only while it is turned off")
    shot(page, "hyperv-vm-settings")
    dialog.get_by_role("button", name="Cancel").click()
    page.locator("#actions .action", has_text="Turn Off...").click()
    page.locator("#action-dialog").get_by_role("button", name="Turn Off").click()
    expect(page.locator("#hyperv-vms tbody tr", has_text="APP01")).to_contain_text("Off", timeout=20000)
    page.locator("#actions").get_by_role("link", name="Settings...", exact=True).click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("Number of virtual processors:").fill("4")
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator("#action-dialog")).to_have_count(0)
    page.locator("#selection .tab", has_text="Summary").click()
    expect(page.locator("#selection")).to_contain_text("Virtual processors:4")


def test_the_virtual_machine_connection_window_follows_the_guest(signed_in, live_server_url, shot):
    call_command("loadlab", "shared-nothing-2012r2", verbosity=0)
    page = signed_in
    connect(page, live_server_url, "HV01", lab="Two standalone Windows Server 2012 R2 Hyper-V hosts")
    page.locator("#lab-clock button", has_text="\u00d710").click()
    page.locator("#actions").get_by_role("link", name="Connect...", exact=True).click()
    window = page.locator("#action-dialog")
    expect(window).to_contain_text("APP01 on HV01 - Virtual Machine Connection")
    screen = window.locator("[id$='-screen']")
    expect(screen).to_contain_text("Press Ctrl+Alt+Delete to sign in.")
    shot(page, "vm-connect-running")
    window.get_by_role("button", name="Save").click()
    expect(screen).to_contain_text("The virtual machine 'APP01' is saved.", timeout=30000)  # pushed
    window.get_by_role("button", name="Pause").click()
    expect(window.locator("[id$='-connect-error']")).to_contain_text("Pause is not possible while APP01 is saved.")
    window.get_by_role("button", name="Start").click()
    expect(window.locator("[id$='-connect-error']")).to_be_empty()
    expect(screen).to_contain_text("Press Ctrl+Alt+Delete to sign in.", timeout=30000)
    expect(screen).to_contain_text("Status: Running")


def test_delete_a_vm_that_is_turned_off(signed_in, live_server_url):
    call_command("loadlab", "shared-nothing-2012r2", verbosity=0)
    page = signed_in
    connect(page, live_server_url, "HV01", lab="Two standalone Windows Server 2012 R2 Hyper-V hosts")
    expect(page.locator("#actions")).not_to_contain_text("Delete...")  # APP01 runs
    page.locator("#actions .action", has_text="Turn Off...").click()
    page.locator("#action-dialog").get_by_role("button", name="Turn Off").click()
    expect(page.locator("#hyperv-vms tbody tr", has_text="APP01")).to_contain_text("Off", timeout=20000)
    page.locator("#actions .action", has_text="Delete...").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Are you sure you want to delete the selected virtual machine 'APP01'?")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator("#hyperv-vms tbody tr", has_text="APP01")).to_have_count(0)
    expect(page.locator("#hyperv-vms tbody tr", has_text="APP02")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/hyper-v/\d+/$"))


def test_a_vm_that_leaves_the_server_leaves_its_list_and_the_selection_falls_back(signed_in, live_server_url):
    """Hyper-V Manager shows APP01 selected on HV01 when another user moves it to HV02: the list is listed
    again, without APP01, and the page is HV01's (its selection gone), not a stale copy."""
    call_command("loadlab", "shared-nothing-2012r2", verbosity=0)
    from fcm.engine.commands.hyperv_moves import request_vm_move
    from fcm.inventory.models import Node, VirtualMachine
    lab_nodes = Node.objects.filter(lab__name="shared-nothing-2012r2")
    lab_nodes.filter(name="HV02").update(vm_migration_enabled=True, migration_authentication="Kerberos")
    page = signed_in
    connect(page, live_server_url, "HV01", lab="Two standalone Windows Server 2012 R2 Hyper-V hosts")
    page.locator("#lab-clock button", has_text="\u00d760").click()
    expect(page.locator("#selection")).to_contain_text("APP01")
    app01 = VirtualMachine.objects.get(host_node__in=lab_nodes, name="APP01")
    request_vm_move(None, app01, lab_nodes.get(name="HV02"), r"D:\Hyper-V\APP01", on_source=True)
    expect(page.locator("#hyperv-vms tbody tr", has_text="APP01")).to_have_count(0, timeout=60000)
    expect(page.locator("#hyperv-vms tbody tr", has_text="APP02")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/hyper-v/\d+/$"))
