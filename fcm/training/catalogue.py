"""The scenario catalogue: exercise files in scenarios/exercises/*.toml (schema: docs/training.md).

Each file is checked when it is read, and every problem names its place,
e.g. `survive-host-failure.toml: objectives[2] (failed-over): a role check
needs role`: a trainer never starts a class on an exercise that cannot be
graded. The checked exercise is a plain dict, stored with the session.
"""
import tomllib
from pathlib import Path

from fcm.engine import labfile
from fcm.sim import objectives

EXERCISES_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios" / "exercises"

#: Faults a scenario may plant and a trainer may inject, with the name each needs.
FAULT_KINDS = {
    "crash-node": ("node", "Power off a node (crash)"),
    "disconnect-storage": ("node", "Disconnect a node's storage"),
    "disconnect-adapter": ("node", "Unplug a node's network adapter"),
    "disconnect-network": ("network", "Disconnect a cluster network"),
    "fail-disk": ("disk", "Fail a cluster disk"),
    "disconnect-wan": ("link", "Disconnect the WAN link"),
}


#: What a solution step does, and the type its `value` must have (None: no value).
STEP_ACTIONS = {"click": None, "choose": str, "type": str, "check": bool, "wait": str}


class ExerciseError(ValueError):
    def __init__(self, source, where, message):
        self.source, self.where, self.message = source, where, message
        super().__init__(f"{source}: {where}: {message}" if where else f"{source}: {message}")


def available():
    return sorted(p.stem for p in EXERCISES_DIR.glob("*.toml"))


def load(name):
    """The checked exercise `name` (a file in scenarios/exercises/), as a dict."""
    if name not in available():
        raise ExerciseError(f"{name}.toml", "", f"no such exercise (available: {', '.join(available()) or 'none'})")
    path = EXERCISES_DIR / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ExerciseError(path.name, "", f"not valid TOML: {exc}") from None
    return check(data, path.name, name)


def catalogue():
    """[(name, exercise dict)] of every file that passes its checks; files that do not raise."""
    return [(name, load(name)) for name in available()]


def _need(table, key, where, source, kind=str):
    value = table.get(key)
    if value is None or value == "":
        raise ExerciseError(source, where, f"'{key}' is required")
    if not isinstance(value, kind):
        raise ExerciseError(source, f"{where}.{key}", f"must be {kind.__name__ if kind is not str else 'text'}")
    return value


def check(data, source, name=""):
    meta = data.get("exercise")
    if not isinstance(meta, dict):
        raise ExerciseError(source, "exercise", "the file needs an [exercise] table")
    title = _need(meta, "title", "exercise", source)
    lab = _need(meta, "lab", "exercise", source)
    if lab not in labfile.available_labs():
        raise ExerciseError(source, "exercise.lab", f"no lab file {lab!r} in scenarios/labs "
                                                    f"(available: {', '.join(labfile.available_labs())})")
    duration = _need(meta, "duration_minutes", "exercise", source, int)
    if duration <= 0:
        raise ExerciseError(source, "exercise.duration_minutes", "must be a positive number of minutes")
    show_reasons = meta.get("show_reasons", False)
    if not isinstance(show_reasons, bool):
        raise ExerciseError(source, "exercise.show_reasons", "must be true or false")
    hints = meta.get("hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) and h for h in hints):
        raise ExerciseError(source, "exercise.hints", "must be a list of texts")
    variables = data.get("variables", {})
    try:
        sample = objectives.choose_variables(variables, 0)
    except objectives.ObjectiveError as exc:
        raise ExerciseError(source, "variables", str(exc)) from None
    except (TypeError, AttributeError):
        raise ExerciseError(source, "variables", "each variable is a table: { choices = [...] } "
                                                 "or { ip = \"10.1.0.{20-200}\" }") from None
    renames = data.get("renames", {})
    if not isinstance(renames, dict) or not all(isinstance(v, str) for v in renames.values()):
        raise ExerciseError(source, "renames", 'must map lab names to texts, e.g. "Guest7" = "{vm}"')
    lab_data = labfile.read(labfile.lab_path(lab))
    present = set(_strings(lab_data))
    for var, rule in variables.items():
        if "ip" in rule:
            taken = sorted(set(objectives.possible_values(var, rule)) & present, key=lambda ip: ip.split("."))
            if taken:
                raise ExerciseError(source, f"variables.{var}", f"the range {rule['ip']} contains "
                                    f"{', '.join(taken)}, already in use in the lab {lab!r}: a trainee drawing "
                                    "it could not use it")
    for original, template in renames.items():
        if original not in present:
            raise ExerciseError(source, f"renames.{original}", f"the lab {lab!r} has no name {original!r}")
        _check_rename(source, lab, original, template, variables, sample, present)
    faults = data.get("faults", [])
    for i, fault in enumerate(faults):
        where = f"faults[{i}]"
        kind = _need(fault, "kind", where, source)
        if kind not in FAULT_KINDS:
            raise ExerciseError(source, f"{where}.kind", f"must be one of {', '.join(FAULT_KINDS)}")
        _need(fault, FAULT_KINDS[kind][0], where, source)
        if kind == "disconnect-adapter":
            _need(fault, "adapter", where, source)
    specs = data.get("objectives", [])
    if not specs:
        raise ExerciseError(source, "objectives", "an exercise needs at least one [[objectives]]")
    seen = set()
    for i, spec in enumerate(specs):
        where = f"objectives[{i}]" + (f" ({spec.get('id')})" if spec.get("id") else "")
        _need(spec, "text", where, source)
        try:
            objectives.validate(spec)
        except objectives.ObjectiveError as exc:
            raise ExerciseError(source, where, str(exc)) from None
        if spec["id"] in seen:
            raise ExerciseError(source, where, f"the id {spec['id']!r} is used twice")
        seen.add(spec["id"])
    solution = _check_solution(data.get("solution"), [spec["id"] for spec in specs], source)
    texts = {"exercise": meta, "renames": renames, "faults": faults, "objectives": specs, "solution": solution}
    for section, value in texts.items():
        try:
            objectives.substitute(value, sample)
        except objectives.ObjectiveError as exc:
            raise ExerciseError(source, section, f"{exc} (declare it under [variables])") from None
    return {"name": name, "title": title, "summary": meta.get("summary", ""), "lab": lab,
            "duration_minutes": duration, "instructions": meta.get("instructions", ""),
            "source": meta.get("source", ""), "hints": hints, "variables": variables, "renames": renames,
            "faults": faults, "objectives": specs, "solution": solution, "show_reasons": show_reasons}


def _check_rename(source, lab, original, template, variables, sample, present):
    """Every value a rename can draw must be a new name: a trainee must never get two machines of one name."""
    for var in objectives.variables_in(template):
        if var not in variables:
            continue
        for value in objectives.possible_values(var, variables[var]):
            name = objectives.substitute(template, {**sample, var: value})
            if name != original and name in present:
                raise ExerciseError(source, f"variables.{var}", f"{value!r} would rename {original!r} to "
                                    f"{name!r}, a name the lab {lab!r} already uses")


def _check_solution(steps, objective_ids, source):
    """The `[[solution]]` steps: each works towards a known objective, every objective has steps.

    A step is what a person does in the console, in its visible words (docs/training.md):
    `do` is click, choose, type, check or wait; `path` the labels in order.
    """
    if not steps:
        raise ExerciseError(source, "solution", "an exercise needs its [[solution]]: the steps that finish it "
                                                "(docs/training.md)")
    if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
        raise ExerciseError(source, "solution", "write each step as a [[solution]] table")
    checked = []
    for i, step in enumerate(steps):
        where = f"solution[{i}]"
        unknown = set(step) - {"objective", "do", "path", "value", "note"}
        if unknown:
            raise ExerciseError(source, where, f"unknown key(s): {', '.join(sorted(unknown))}")
        objective = _need(step, "objective", where, source)
        if objective not in objective_ids:
            raise ExerciseError(source, f"{where}.objective", f"no objective has the id {objective!r}")
        do = _need(step, "do", where, source)
        if do not in STEP_ACTIONS:
            raise ExerciseError(source, f"{where}.do", f"must be one of {', '.join(STEP_ACTIONS)}")
        path = step.get("path", [])
        if not isinstance(path, list) or not all(isinstance(label, str) and label.strip() for label in path):
            raise ExerciseError(source, f"{where}.path", "must be a list of visible labels")
        if not path and do != "wait":
            raise ExerciseError(source, f"{where}.path", f"a {do} step needs the labels it acts on")
        kind = STEP_ACTIONS[do]
        value = step.get("value", True if kind is bool else None)
        if kind is None and value is not None:
            raise ExerciseError(source, f"{where}.value", f"a {do} step takes no value")
        if kind is not None and not isinstance(value, kind):
            raise ExerciseError(source, f"{where}.value", "must be true or false" if kind is bool else "must be text")
        note = step.get("note", "")
        if not isinstance(note, str):
            raise ExerciseError(source, f"{where}.note", "must be text")
        checked.append({"objective": objective, "do": do, "path": path, "value": value, "note": note})
    missing = [o for o in objective_ids if o not in {step["objective"] for step in checked}]
    if missing:
        raise ExerciseError(source, "solution", f"no step works towards {', '.join(missing)}")
    return checked


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def personalise(exercise, variables):
    """The exercise one trainee sees: texts, objectives and faults with their variables put in."""
    return {**exercise, **objectives.substitute(
        {k: exercise[k] for k in ("title", "summary", "instructions", "hints", "faults", "objectives", "solution")
     if k in exercise}, variables)}


def renamed_lab_data(exercise, variables):
    """The scenario's lab file with each renamed value (whole values only) replaced for one trainee."""
    mapping = {original: objectives.substitute(template, variables)
               for original, template in exercise["renames"].items()}
    data = labfile.read(labfile.lab_path(exercise["lab"]))

    def walk(value):
        if isinstance(value, str):
            return mapping.get(value, value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value
    return walk(data)
