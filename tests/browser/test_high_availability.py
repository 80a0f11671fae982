"""The seeds' High Availability walkthroughs, clicked through."""
import re

from playwright.sync_api import expect


def open_lab(page, title, cluster):
    page.get_by_role("link", name=title, exact=True).click()
    page.locator(".tree a", has_text=cluster).click()
    page.locator(".tree a", has_text="Services and Applications").click()


def run_ha_wizard(page, vm_names):
    page.locator("#actions .action", has_text="Configure a Service or Application...").click()
    wizard = page.locator("#wizard-dialog")
    expect(wizard).to_contain_text("High Availability Wizard")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Select Service or Application")
    wizard.get_by_role("button", name="Next >").click()
    for name in vm_names:
        wizard.get_by_label(name).check()
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard.locator(".wizard-steps li.current")).to_have_text("Confirmation")
    wizard.get_by_role("button", name="Next >").click()
    expect(wizard).to_contain_text("Summary", timeout=20000)
    return wizard


def test_2008_make_guest7_highly_available_and_bring_it_online(signed_in, shot):
    page = signed_in
    open_lab(page, "Quick migration, Windows Server 2008", "contoso-cl1.contoso.com")
    page.locator("#lab-clock button", has_text="\u00d760").click()
    wizard = run_ha_wizard(page, ["Guest7"])
    expect(wizard).to_contain_text("High availability was successfully configured for the role Guest7")
    shot(page, "ha-summary")
    wizard.get_by_role("button", name="Finish").click()
    row = page.locator("#roles-list tbody tr", has_text="Guest7")
    expect(row).to_contain_text("Offline")
    row.click()
    page.locator("#actions .action", has_text="Bring this service or application online").click()
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Pending")
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Online", timeout=20000)
    expect(page.locator("[id$='-detail-owner']")).to_have_text("contoso3")
    expect(row).to_contain_text("Online")
    shot(page, "ha-online")


def test_2008_r2_refuses_a_running_vm_and_a_local_one(signed_in, shot):
    from fcm.inventory.models import Disk, Node, VirtualMachine
    s2 = Node.objects.get(name="WS08R2-S2")
    web = VirtualMachine.objects.create(
        lab=s2.lab, name="vWS08-WEB01", host_node=s2, state="Running", memory_mb=2048,
        configuration_path=r"C:\ClusterStorage\Volume1\vWS08-WEB01", configuration_disk=Disk.objects.get(name="VMs"),
        guest_os="Windows Server 2008 R2 Enterprise", virtual_switch="External Network")
    VirtualMachine.objects.create(lab=s2.lab, name="vLOCAL01", host_node=s2, state="Off", memory_mb=1024,
                                  configuration_path=r"D:\VMs\vLOCAL01")
    page = signed_in
    open_lab(page, "Live migration, Windows Server 2008 R2", "WS08R2-CL01.contoso.com")
    page.locator("#lab-clock button", has_text="\u00d760").click()
    wizard = run_ha_wizard(page, ["vWS08-WEB01", "vLOCAL01"])
    expect(wizard).to_contain_text("Shut down or save vWS08-WEB01 first: Servers > WS08R2-S2 > Virtual Machines")
    expect(wizard).to_contain_text("keeps files on local storage")
    shot(page, "ha-refused")
    wizard.get_by_role("button", name="Finish").click()
    expect(page.locator("#roles-list")).not_to_contain_text("vWS08-WEB01")
    # The trainee shuts the VM down, then makes it highly available and starts it.
    VirtualMachine.objects.filter(pk=web.pk).update(state="Off")
    wizard = run_ha_wizard(page, ["vWS08-WEB01"])
    expect(wizard).to_contain_text("High availability was successfully configured for the role vWS08-WEB01")
    wizard.get_by_role("button", name="Finish").click()
    page.locator("#roles-list tbody tr", has_text="vWS08-WEB01").click()
    page.locator("#actions .action", has_text="Start").first.click()
    expect(page.locator("[id$='-detail-status']")).to_contain_text("Online", timeout=20000)
    expect(page.locator("#roles-list tbody tr", has_text="vWS08-WEB01")).to_contain_text(re.compile("Online"))
