"""Every exercise of the catalogue, finished to 100 % through the console by its own solution.

No code per exercise: a trainer starts a session on it (with a fixed word for
the trainees' values, shown in the test id), a trainee joins, the exercise's
`[[solution]]` is replayed by visible labels in the trainee's console only
(tests/browser/replay.py), and every objective must then be met on the
trainee's panel and on the trainer's dashboard. An exercise that cannot be
finished, or whose solution names a label its console does not show, fails.
"""
import re
import time

import pytest
from playwright.sync_api import expect

from fcm.training import catalogue
from tests.browser.replay import Replayer

#: (exercise, the word its class is started with): the word fixes each trainee's values.
CASES = [(name, f"replay-{n}") for n, name in enumerate(catalogue.available(), start=1)]

#: Figures for the note: exercise -> (steps, wall seconds, simulated seconds).
FIGURES = {}


@pytest.mark.parametrize("name,word", CASES, ids=[f"{name}[values={word}]" for name, word in CASES])
def test_the_solution_finishes_the_exercise(name, word, signed_in, browser, live_server_url, shot):
    from fcm.inventory.models import Lab
    from fcm.training.models import Trainee

    exercise = catalogue.load(name)
    trainer = signed_in
    trainer.goto(f"{live_server_url}/training/")
    trainer.get_by_label(exercise["title"], exact=True).check()
    trainer.get_by_label("Repeat values").fill(word)
    trainer.get_by_role("button", name="Start session").click()
    code = trainer.locator("#join-code").inner_text()

    page = browser.new_context(viewport={"width": 1400, "height": 820}).new_page()
    replayer = Replayer(page)
    page.goto(f"{live_server_url}/join/{code}/")
    page.get_by_label("Your name").fill("Ann")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#exercise")).to_be_visible()
    page.locator("#lab-sync[data-changed]").wait_for(state="attached")
    trainer.locator("#session-controls button", has_text="\u00d760").click()
    expect(page.locator("#lab-clock .clock-speed")).to_have_text("\u00d760")

    trainee = Trainee.objects.get(session__code=code)
    steps = catalogue.personalise(trainee.session.spec, trainee.variables)["solution"]
    started, sim_started = time.monotonic(), Lab.objects.get(pk=trainee.lab_id).sim_now()
    replayer.play(steps, name)

    for objective in exercise["objectives"]:
        expect(page.locator(f"#exercise li[data-objective='{objective['id']}']")).to_have_class(
            re.compile(r"\bmet\b"), timeout=120_000)
    expect(page.locator("#exercise .exercise-progress")).to_have_text("100 %")
    row = trainer.locator("#trainees tr[id^='trainee-']", has_text="Ann")
    expect(row).to_contain_text("100 %")
    for objective in exercise["objectives"]:
        expect(row.locator(f"td[data-objective='{objective['id']}']")).to_have_class(re.compile(r"\bmet\b"))
    lab = Lab.objects.get(pk=trainee.lab_id)
    FIGURES[name] = (len(steps), round(time.monotonic() - started, 1),
                     round((lab.sim_now() - sim_started).total_seconds()))
    print(f"\nexercise {name}: {FIGURES[name][0]} steps, {FIGURES[name][1]} s wall, {FIGURES[name][2]} s simulated")
    shot(page, f"exercise-{name}-done")
    page.context.close()
