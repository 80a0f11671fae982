"""The trainer's dashboard with a written solution: a trainee reveals the next step, the trainer's row
counts it and says, in the console's words, why each objective is not met yet."""
from playwright.sync_api import expect

from .test_training import trainee_joins

SOLUTION = [
    {"objective": "drained", "do": "click", "path": ["Nodes", "HQ-HV1", "Pause", "Drain Roles"]},
    {"objective": "drained", "do": "wait", "path": ["HQ-HV1", "Information"], "value": "Drain Completed"},
    {"objective": "restarted", "do": "click", "path": ["Nodes", "HQ-HV1", "Simulate", "Power Off (crash)"]},
    {"objective": "restarted", "do": "click", "path": ["Nodes", "HQ-HV1", "Simulate", "Power On"]},
    {"objective": "back", "do": "click", "path": ["Roles", "{sql}", "Move", "Live Migration", "Select Node..."]},
    {"objective": "back", "do": "choose", "path": ["Move Virtual Machine", "Node"], "value": "HQ-HV1",
     "note": "The dialog shows the expected duration first."},
]


def with_solution(code):
    """The session's stored exercise given a solution and a single hint (the catalogue's files have none yet)."""
    from fcm.training.models import TrainingSession
    session = TrainingSession.objects.get(code=code)
    session.spec = {**session.spec, "solution": SOLUTION, "hints": ["Start with the node, not the role."]}
    session.save(update_fields=["spec"])
    return session


def test_a_trainee_reveals_the_next_step_and_the_trainers_row_counts_it_with_reasons(
        signed_in, browser, live_server_url, shot):
    from fcm.training.models import Trainee
    trainer = signed_in
    trainer.goto(f"{live_server_url}/training/")
    trainer.get_by_label("Maintenance window").check()
    trainer.get_by_role("button", name="Start session").click()
    code = trainer.locator("#join-code").inner_text()
    session = with_solution(code)
    trainer.reload()  # the page as an exercise with a solution shows it from the start
    expect(trainer.locator(".session-head")).to_contain_text("Open my demo lab")

    ann = trainee_joins(browser, live_server_url, code, "Ann")
    sql = Trainee.objects.get(session=session, display_name="Ann").variables["sql"]
    row = trainer.locator("#trainees tr", has_text="Ann")
    # Each cell: the trainee's own text where it has their names, and why it is not met, as visible text.
    expect(row.locator("td[data-objective='drained'] .objective-reason")).to_have_text("HQ-HV1 has not been drained yet")
    expect(row.locator("td[data-objective='back'] .objective-text")).to_have_text(f"{sql} runs on HQ-HV1 again")
    expect(row.locator("td[data-objective='restarted'] .objective-reason")).to_be_visible()
    expect(trainer.locator("#trainees thead")).to_contain_text("\u2039sql\u203a runs on HQ-HV1 again")
    # The exercise does not show reasons to trainees.
    expect(ann.locator("#exercise")).not_to_contain_text("has not been drained")

    # The written hint first, then the next step: the first objective not met, with Ann's names.
    expect(ann.locator("#exercise")).not_to_contain_text("Show me the next step")
    ann.get_by_role("button", name="Show a hint (1 left)").click()
    expect(ann.locator("#exercise .hints")).to_contain_text("Start with the node")
    ann.get_by_role("button", name="Show me the next step").click()
    step = ann.locator("#exercise .next-step[data-objective='drained']")
    expect(step).to_contain_text("Next step: Drain HQ-HV1")
    expect(step).to_contain_text("Click Nodes \u203a HQ-HV1 \u203a Pause \u203a Drain Roles")
    expect(step).to_contain_text("Wait until HQ-HV1 \u203a Information shows Drain Completed")
    shot(ann, "training-next-step")
    # The trainer's row counts both, live.
    expect(row.locator("td.hints-cell")).to_contain_text("2")
    expect(row.locator("td.hints-cell")).to_contain_text("(1 step)")
    expect(row.locator("td[data-objective='drained'] .objective-reason")).to_be_visible()

    # The next click reveals the next objective's steps.
    ann.get_by_role("button", name="Show me the next step").click()
    expect(ann.locator("#exercise .next-step[data-objective='restarted']")).to_contain_text("Power Off (crash)")
    expect(row.locator("td.hints-cell")).to_contain_text("(2 steps)")

    # The solution on the dashboard: the variables by name, then with Ann's own names.
    solution = trainer.locator("#solution")
    expect(solution.locator("details[data-objective='back'] summary")).to_contain_text("\u2039sql\u203a runs on HQ-HV1")
    row.get_by_role("link", name="Solution").click()
    expect(solution).to_contain_text("Solution for Ann")
    back = solution.locator("details[data-objective='back']")
    back.locator("summary").click()
    expect(back).to_contain_text(f"Click Roles \u203a {sql} \u203a Move \u203a Live Migration \u203a Select Node...")
    expect(back).to_contain_text("Move Virtual Machine: in Node, choose \u201cHQ-HV1\u201d")
    shot(trainer, "training-dashboard-solution")

    # End the session removing every lab: the trainer confirms in the form.
    trainer.locator("#session-controls summary", has_text="End session...").click()
    trainer.get_by_label("Remove it").check()
    trainer.get_by_label("Remove them (results, hints and timelines stay)").check()
    trainer.get_by_role("button", name="End session", exact=True).click()
    expect(trainer.locator("#session-controls")).to_contain_text(
        "Your demo lab and the trainees' labs were removed (2 labs).")
    trainer.reload()
    expect(trainer.locator(".session-head")).not_to_contain_text("Open my demo lab")
    expect(trainer.locator("#trainees tr", has_text="Ann").locator("td.hints-cell")).to_contain_text("3 (2 steps)")
