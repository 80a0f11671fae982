"""Clicking through the console like a person."""
import re

from playwright.sync_api import expect


def open_r2_lab(page):
    page.get_by_role("link", name="Live migration, Windows Server 2008 R2").click()
    expect(page.locator(".tree")).to_contain_text("Failover Cluster Manager")
    page.locator(".tree a", has_text="WS08R2-CL01.contoso.com").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster WS08R2-CL01.contoso.com")


def test_sign_in_open_lab_roles_right_click_and_history(signed_in, live_server_url, shot):
    page = signed_in
    expect(page.locator("#lab-list")).to_contain_text("Live migration, Windows Server 2008 R2")
    shot(page, "labs")
    open_r2_lab(page)
    shot(page, "cluster")
    page.locator(".tree a", has_text="Services and Applications").click()
    expect(page).to_have_url(re.compile(r"/clusters/\d+/roles/$"))
    row = page.locator("#roles-list tbody tr", has_text="vWS08-SQL01")
    expect(row).to_contain_text("WS08R2-S1")
    expect(page.locator("#roles-list thead")).to_contain_text("Current Owner")
    shot(page, "roles")

    row.click(button="right")
    menu = page.locator("#context-menu")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("Show Critical Events")
    expect(menu).to_contain_text("Show Dependency Report")
    expect(row).to_have_class(re.compile("selected"))
    expect(page.locator("#selection")).to_contain_text("Current Owner")
    expect(page).to_have_url(re.compile(r"/roles/\d+/$"))
    shot(page, "roles-context-menu")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()

    page.locator("#selection .tab", has_text="Resources").click()
    expect(page.locator("#selection")).to_contain_text("Virtual Machine Configuration vWS08-SQL01")
    expect(page).to_have_url(re.compile(r"\?tab=resources$"))

    page.locator(".tree a", has_text="Nodes").click()
    expect(page.locator("#nodes-list")).to_contain_text("WS08R2-S2")
    page.go_back()
    expect(page.locator("#selection")).to_contain_text("Virtual Machine Configuration vWS08-SQL01")
    page.go_back()
    expect(page.locator("#selection")).to_contain_text("Current Owner")
    page.go_forward()
    page.go_forward()
    expect(page.locator("#nodes-list")).to_be_visible()
    # Reload renders the same page.
    page.reload()
    expect(page.locator("#nodes-list")).to_contain_text("WS08R2-S1")
    expect(page.locator(".tree a.selected")).to_have_text(re.compile("Nodes"))


def test_deep_link_and_toolbar_back_button(signed_in, live_server_url):
    page = signed_in
    open_r2_lab(page)
    page.locator(".tree a", has_text="Storage").click()
    row = page.locator("#disks-list tbody tr", has_text="Cluster Disk 2")
    expect(row).to_contain_text("Cluster Shared Volume")
    row.click()
    page.locator("#selection .tab", has_text="Volumes").click()
    expect(page.locator("#selection")).to_contain_text(r"C:\ClusterStorage\Volume1")
    deep = page.url
    page.goto(live_server_url + "/")
    page.goto(deep)
    expect(page.locator("#selection")).to_contain_text(r"C:\ClusterStorage\Volume1")
    expect(page.locator("#disks-list tr.selected")).to_contain_text("Cluster Disk 2")
    page.locator(".tree a", has_text="Networks").click()
    expect(page.locator("#networks-list")).to_contain_text("Cluster Network 1")
    page.get_by_title("Back").click()
    expect(page.locator("#disks-list")).to_be_visible()


def test_event_query_rejects_bad_ids_at_the_field(signed_in, shot):
    page = signed_in
    page.get_by_role("link", name="Quick migration, Windows Server 2008").click()
    page.locator(".tree a", has_text="contoso-cl1.contoso.com").click()
    page.locator(".tree a", has_text="Cluster Events").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster Events (2)")
    page.locator("#actions .action", has_text="Query...").click()
    dialog = page.locator("#event-query")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Event IDs").fill("1135, abc")
    dialog.get_by_role("button", name="OK").click()
    expect(page.locator("#event-query")).to_be_visible()
    expect(page.locator("#event-query")).to_contain_text("'abc' is not an event ID")
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster Events (2)")
    shot(page, "events-query-error")
    page.locator("#event-query").get_by_label("Event IDs").fill("1135")
    page.locator("#event-query").get_by_role("button", name="OK").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster Events (1)")
    page.locator("#events-list tbody tr").first.click()
    expect(page.locator("#selection")).to_contain_text("was removed from the active failover cluster membership")


def test_servers_view_and_search(signed_in, shot):
    page = signed_in
    page.get_by_role("link", name="Quick migration, Windows Server 2008").click()
    page.locator(".tree a", has_text="Servers").click()
    table = page.locator("#servers-list")
    expect(table).to_contain_text("contoso3")
    expect(table).to_contain_text("192.168.1.13/24")
    page.get_by_placeholder("Search").fill("contoso4")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".centre-header h1")).to_contain_text("Servers (1)")
    page.locator("#servers-list tbody tr").first.click()
    page.locator("#selection .tab", has_text="Disks").click()
    expect(page.locator("#selection")).to_contain_text("Guest7")
    shot(page, "servers")


def test_hide_console_tree_from_the_view_menu(signed_in):
    page = signed_in
    open_r2_lab(page)
    page.locator("summary", has_text="View").click()
    page.get_by_role("button", name="Console Tree", exact=True).click()
    expect(page.locator(".tree-pane")).to_be_hidden()
    page.get_by_title("Show/Hide Console Tree").click()
    expect(page.locator(".tree-pane")).to_be_visible()


def test_action_menu_mirrors_the_actions_pane(signed_in):
    page = signed_in
    open_r2_lab(page)
    page.locator(".tree a", has_text="Nodes").click()
    page.locator("#nodes-list tbody tr", has_text="WS08R2-S1").click()
    expect(page.locator("#actions")).to_contain_text("WS08R2-S1")
    page.locator("summary", has_text="Action").click()
    entry = page.locator("#action-menu .menu-list button", has_text="Show Critical Events")
    expect(entry).to_be_visible()
    entry.click()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster Events")
    expect(page).to_have_url(re.compile(r"events/\?node=\d+&level=1&level=2"))


def test_a_relisting_pushed_while_a_click_waits_does_not_undo_the_click(signed_in):
    """A push that makes the console list its page again (a VM came to a server) may land while a tree
    click waits for its answer: the click still wins, and the console shows what was clicked."""
    page = signed_in
    open_r2_lab(page)
    cluster = page.url
    page.locator(".tree a", has_text="Servers").click()
    expect(page.locator("#servers-list")).to_contain_text("WS08R2-S1")
    servers = page.url
    held = []
    page.route(cluster, lambda route: held.append(route))  # the click's answer is late
    page.locator(".tree a", has_text="WS08R2-CL01.contoso.com").click()
    while not held:
        page.wait_for_timeout(50)
    page.evaluate("""() => document.body.dispatchEvent(new CustomEvent('htmx:oobAfterSwap',
        {bubbles: true, detail: {target: {id: 'vms-stale-0'}}}))""")  # the push lands meanwhile
    page.wait_for_timeout(1_000)  # time for a relisting, were one sent now, to come back first
    held[0].continue_()
    expect(page.locator(".centre-header h1")).to_contain_text("Cluster WS08R2-CL01.contoso.com")
    expect(page.locator(".tree a", has_text="Services and Applications")).to_be_visible()
    expect(page).not_to_have_url(servers)
