"""A class: one trainer and three trainees in their own browsers."""
import re

from playwright.sync_api import expect


def trainee_joins(browser, url, code, name):
    page = browser.new_context(viewport={"width": 1400, "height": 800}).new_page()
    page.goto(f"{url}/join/")
    page.get_by_label("Session code").fill(code.lower())
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#exercise")).to_contain_text("Maintenance window")
    page.locator("#lab-sync[data-changed]").wait_for(state="attached")
    return page


def open_nodes(page):
    page.locator(".tree a", has_text="HQ-CL.contoso.com").click()
    page.locator(".tree a", has_text="Nodes").click()
    expect(page.locator("#nodes-list")).to_contain_text("HQ-HV2")


def test_a_class_joins_one_trainee_meets_an_objective_and_a_fault_hits_one_lab(
        signed_in, browser, live_server_url, shot):
    trainer = signed_in
    trainer.goto(f"{live_server_url}/training/")
    shot(trainer, "training-sessions")
    trainer.get_by_label("Maintenance window").check()
    trainer.get_by_role("button", name="Start session").click()
    code = trainer.locator("#join-code").inner_text()
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{8}", code)
    expect(trainer.locator("img[alt='QR code of the join link']")).to_be_visible()

    # A wrong code is refused at the field.
    ann = trainer.context.browser.new_context().new_page()
    ann.goto(f"{live_server_url}/join/")
    ann.get_by_label("Session code").fill("WRONG1")
    ann.get_by_label("Your name").fill("Ann")
    ann.get_by_role("button", name="Join").click()
    expect(ann.locator("#code-error")).to_contain_text("No session is open with this code")
    shot(ann, "training-join-refused")
    ann.context.close()

    pages = {name: trainee_joins(browser, live_server_url, code, name) for name in ("Ann", "Bob", "Cid")}
    rows = trainer.locator("#trainees tbody tr")
    expect(rows).to_have_count(3)  # joined trainees appear live
    shot(pages["Ann"], "training-exercise-panel")

    # The trainer runs every clock at x60.
    trainer.locator("#session-controls button", has_text="\u00d760").click()
    expect(trainer.locator("#session-controls")).to_contain_text("runs at x60")
    for page in pages.values():
        expect(page.locator("#lab-clock .clock-speed")).to_have_text("\u00d760")
        open_nodes(page)

    # Ann drains HQ-HV1: her checklist and the trainer's row tick.
    ann = pages["Ann"]
    ann.locator("#nodes-list tbody tr", has_text="HQ-HV1").click()
    expect(ann.locator("#selection")).to_contain_text("HQ-HV1")
    with ann.expect_event("load"):  # the console reloads itself once the server has acted
        ann.locator("#actions .action", has_text="Drain Roles").first.click()
    expect(ann.locator("#exercise li[data-objective='drained']")).to_have_class(re.compile("met"), timeout=30000)
    expect(ann.locator("#exercise .exercise-progress")).to_have_text("33 %")
    ann_row = trainer.locator("#trainees tr", has_text="Ann")
    expect(ann_row.locator("td[data-objective='drained']")).to_have_class(re.compile("met"))
    expect(ann_row).to_contain_text("33 %")
    expect(ann_row).to_contain_text("Node action - drain")
    expect(trainer.locator("#trainees tr", has_text="Bob").locator("td[data-objective='drained']")) \
        .to_have_class(re.compile("open"))
    shot(trainer, "training-dashboard")

    # The trainer crashes HQ-HV2 in Bob's lab only.
    trainer.get_by_label("Cause a failure").select_option(value="crash-node|HQ-HV2")
    trainer.get_by_label("in", exact=True).select_option(label="Bob's lab")
    trainer.get_by_role("button", name="Inject").click()
    expect(trainer.locator("#session-controls")).to_contain_text("in 1 lab: Bob")
    expect(pages["Bob"].locator("#nodes-list tbody tr", has_text="HQ-HV2")).to_contain_text("Down", timeout=20000)
    expect(pages["Cid"].locator("#nodes-list tbody tr", has_text="HQ-HV2")).to_contain_text("Up")
    expect(pages["Ann"].locator("#nodes-list tbody tr", has_text="HQ-HV2")).to_contain_text("Up")

    # Over the shoulder: the trainer opens Ann's console, read-only, without actions.
    trainer.locator("#trainees a", has_text="Ann").click()
    expect(trainer.locator(".banner")).to_contain_text("Watching Ann's lab")
    expect(trainer.locator("#actions")).to_contain_text("Read-only")
    expect(trainer.locator("#exercise li[data-objective='drained']")).to_have_class(re.compile("met"))

    # A broadcast reaches the class; the replay shows Ann's timeline.
    trainer.go_back()
    trainer.get_by_label("Message").fill("Ten minutes left")
    trainer.get_by_role("button", name="Send to class").click()
    expect(pages["Cid"].locator("#exercise")).to_contain_text("Ten minutes left")
    ann.locator("#exercise a", has_text="Timeline and replay").click()
    expect(ann.locator("#replay-frame")).to_contain_text("Step")
    ann.locator("#replay-slider").fill("1")
    expect(ann.locator("#replay-frame")).to_contain_text("Step 1 of")
    shot(ann, "training-replay")


def test_hints_follow_mode_reset_end_and_export(signed_in, browser, live_server_url, shot):
    trainer = signed_in
    trainer.on("dialog", lambda d: d.accept())  # the confirmations of Reset lab and End session
    trainer.goto(f"{live_server_url}/training/")
    trainer.get_by_label("Quick migration (Windows Server 2008)").check()
    trainer.get_by_role("button", name="Start session").click()
    code = trainer.locator("#join-code").inner_text()
    ann = browser.new_context(viewport={"width": 1400, "height": 800}).new_page()
    ann.goto(f"{live_server_url}/join/{code}/")
    ann.get_by_label("Your name").fill("Ann")
    ann.get_by_role("button", name="Join").click()
    expect(ann.locator("#exercise")).to_contain_text("Quick-migrate Guest1 to contoso4")

    # A hint, on request: the trainee reads it, the trainer sees it counted.
    ann.get_by_role("button", name="Show a hint (3 left)").click()
    expect(ann.locator("#exercise .hints")).to_contain_text("must be off or saved")
    expect(ann.get_by_role("button", name="Show a hint (2 left)")).to_be_visible()
    expect(trainer.locator("#trainees tr", has_text="Ann").locator("td").nth(-2)).to_have_text("1")

    # Follow mode: Ann watches the trainer's demo lab while the trainer powers a node off there.
    ann.get_by_role("link", name="Follow the trainer's lab").click()
    expect(ann.locator(".banner")).to_contain_text("following the trainer's lab")
    ann.locator(".tree a", has_text="contoso-cl1.contoso.com").click()
    ann.locator(".tree a", has_text="Nodes").click()
    expect(ann.locator("#actions")).to_contain_text("Read-only")
    trainer.get_by_role("link", name="Open my demo lab").click()
    trainer.locator(".tree a", has_text="contoso-cl1.contoso.com").click()
    trainer.locator(".tree a", has_text="Nodes").click()
    trainer.locator("#nodes-list tbody tr", has_text="contoso3").click()
    trainer.locator("#actions .action", has_text="Power Off (crash)").click()
    expect(ann.locator("#nodes-list tbody tr", has_text="contoso3")).to_contain_text("Powered off")
    shot(ann, "training-follow-mode")
    ann.get_by_role("link", name="Back to my lab").click()
    expect(ann.locator("#exercise")).to_be_visible()

    # Reset Ann's lab: her open console says so and leads to the new one.
    trainer.goto(f"{live_server_url}/training/")
    trainer.locator("#my-sessions a").first.click()
    trainer.locator("#trainees tr", has_text="Ann").get_by_role("button", name="Reset lab").click()
    expect(trainer.locator("#session-controls")).to_contain_text("Ann's lab was reset.")
    expect(ann.locator("#class-message")).to_contain_text("Your lab has been reset")
    ann.get_by_role("link", name="Open the new lab").click()
    expect(ann.locator("#exercise")).to_contain_text("Quick-migrate Guest1 to contoso4")
    ann.locator("#lab-sync[data-changed]").wait_for(state="attached")

    # End the session, keeping the labs (the form's choice): Ann's panel says so and her lab turns
    # read-only; the results export as CSV.
    trainer.locator("#session-controls summary", has_text="End session...").click()
    expect(trainer.get_by_label("Keep them for review (read-only)")).to_be_checked()
    trainer.get_by_role("button", name="End session", exact=True).click()
    expect(trainer.locator("#session-controls")).to_contain_text("The session has ended.")
    expect(trainer.locator("#session-controls")).to_contain_text("Every lab is kept for review.")
    # Her console's socket closes with the session (sockets follow access): it says so, and no longer updates.
    expect(ann.locator("#access-closed")).to_contain_text("The training session has ended")
    with trainer.expect_download() as download:
        trainer.get_by_role("link", name="Export results (CSV)").first.click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.splitlines()[1].startswith("Ann,0,no,")
    ann.reload()
    expect(ann.locator("#actions")).to_contain_text("Read-only")
    shot(ann, "training-ended")
