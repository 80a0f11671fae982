"""Channel-layer group names: one group per lab, every console of it listens."""


def lab_group(lab_id):
    return f"lab.{int(lab_id)}"
