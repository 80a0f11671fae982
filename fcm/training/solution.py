"""An exercise's solution, as sentences a trainee follows in the console.

A checked exercise may carry `solution`: steps in order, each
`{"objective": id, "do": "click" | "choose" | "type" | "check" | "wait",
"path": [visible labels, in order], "value": text or true/false, "note": text}`.
This module turns them into the console's own sentences

    click   Click Servers › WS08R2-S1 › Virtual Machines › vWS08-SQL01 › Save
    choose  In Cluster Use, choose “Do not allow cluster network communication on this network”
    type    Type 192.168.100.214 in Address
    check   Tick Failover Clustering   (value false: Untick ...)
    wait    Wait until the console shows Online

(for choose, type and check, labels before the field's say where it is: "Network
Properties: in Cluster Use, choose ..."), groups them by objective and picks the
next objective whose steps a trainee asks for. Pure: plain values in, plain values
out; the caller puts each trainee's variables in first (`objectives.substitute`) or
shows them by name (`objectives.by_variable_name`). A step it does not understand
is shown as its labels, never an error: an exercise stored by an older version of
the catalogue still shows.
"""

#: Between the labels of a path, as the product's breadcrumb shows them.
ARROW = " \u203a "


def _label(value):
    return "" if value is None else str(value)


def _quoted(value):
    text = _label(value)
    return f"\u201c{text}\u201d" if any(c.isspace() for c in text) else text


def step_text(step):
    """One step as a sentence (without its note)."""
    path = [_label(p) for p in step.get("path") or () if _label(p)]
    do = step.get("do")
    value = step.get("value")
    if do == "click":
        return "Click " + ARROW.join(path) if path else "Click"
    if do == "wait":
        return f"Wait until {ARROW.join(path) if path else 'the console'} shows {_label(value)}"
    if do in ("choose", "type", "check") and path:
        field, where = path[-1], ARROW.join(path[:-1])
        if do == "choose":
            sentence = f"In {field}, choose \u201c{_label(value)}\u201d"
        elif do == "type":
            sentence = f"Type {_quoted(value)} in {field}"
        else:
            sentence = f"{'Untick' if value is False else 'Tick'} {field}"
        return f"{where}: {sentence[0].lower()}{sentence[1:]}" if where else sentence
    words = ARROW.join(path)
    return " ".join(part for part in (str(do or "").capitalize(), words, _label(value)) if part)


def describe(steps):
    """[{"objective", "text", "note"}] for each step that is a step (anything else is skipped)."""
    return [{"objective": _label(step.get("objective")), "text": step_text(step), "note": _label(step.get("note"))}
            for step in steps or () if isinstance(step, dict)]


def by_objective(objectives, steps):
    """The solution grouped under each objective, in the objectives' order:
    [{"id", "text", "steps": [described steps]}] for `objectives` [(id, text)]; steps naming no
    objective of the exercise come last, under "Other steps"."""
    described = describe(steps)
    known = {oid for oid, _ in objectives}
    groups = [{"id": oid, "text": text, "steps": [s for s in described if s["objective"] == oid]}
              for oid, text in objectives]
    others = [s for s in described if s["objective"] not in known]
    if others:
        groups.append({"id": "", "text": "Other steps", "steps": others})
    return groups


def next_objective(objective_ids, done, shown, steps):
    """The objective whose steps "Show me the next step" reveals: the first, in order, that is not
    `done`, whose steps are not `shown` yet and that has steps; None when there is none."""
    with_steps = {s["objective"] for s in describe(steps)}
    for oid in objective_ids:
        if oid not in done and oid not in shown and oid in with_steps:
            return oid
    return None
