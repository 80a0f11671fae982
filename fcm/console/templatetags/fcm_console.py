"""Formatting the way the Windows consoles print things."""
from functools import cache

from django import template
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from fcm.engine.status import information, status_override
from fcm.inventory import looks
from fcm.inventory.models import Role, VirtualMachine
from fcm.sim.migration import describe_seconds
from fcm.sim.servers import describe_pending
from fcm.sim.units import format_capacity

register = template.Library()


@cache
def _sprite_url():
    """The sprite's URL, looked up once: a console's pushes draw thousands of icons a second."""
    return static("fcm/icons.svg")


def _forget_sprite_url(setting, **kwargs):
    if setting in ("STATIC_URL", "STORAGES"):
        _sprite_url.cache_clear()


setting_changed.connect(_forget_sprite_url)


@register.simple_tag
def icon(name, label=""):
    """A 16 px icon from the sprite; `label` makes it announce itself to screen readers."""
    aria = format_html(' role="img" aria-label="{}"', label) if label else mark_safe(' aria-hidden="true"')
    return format_html('<svg class="ico ico-{}"{}><use href="{}#{}"></use></svg>',
                       name, aria, _sprite_url(), name)


@register.filter
def capacity(size_bytes):
    return format_capacity(size_bytes)


@register.filter
def wintime(value):
    """'6/2/2008 9:00:00 AM' (en-US, as the event viewer shows it)."""
    if not value:
        return ""
    hour = value.hour % 12 or 12
    ampm = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d}:{value.second:02d} {ampm}"


@register.simple_tag
def uptime(started_at, now):
    """Up Time as Hyper-V shows it: 'd.hh:mm:ss' (or 'hh:mm:ss' under a day)."""
    if not started_at or not now or now < started_at:
        return "00:00:00"
    seconds = int((now - started_at).total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{days}.{clock}" if days else clock


@register.filter
def state_icon(state, choices=None):
    """The icon of a state, as its enum presents it.

    `n.state|state_icon:n.State` coerces a field's value to its enum; an
    enum member needs no argument. A blank or unknown value shows "info".
    """
    if choices is not None:
        state = choices.coerce(state)
    elif state and not isinstance(state, looks.Presented):
        raise TypeError(f"state_icon needs the enum of {state!r}: value|state_icon:obj.State")
    return state.icon if isinstance(state, looks.Presented) else looks.INFO.icon


@register.filter
def role_icon(role):
    """Roles show the VM's state icon from 2012; the group's state before."""
    vm = getattr(role, "virtual_machine", None) if role.type == Role.Type.VIRTUAL_MACHINE else None
    if vm is not None and role.cluster.version.order >= 3 and role.state != Role.State.FAILED:
        return state_icon(vm.state, VirtualMachine.State)
    return role.status_icon


@register.filter
def mb_as_gb(memory_mb):
    if memory_mb is None:
        return ""
    return f"{memory_mb} MB" if memory_mb < 1024 else f"{memory_mb / 1024:g} GB"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def row_attrs(context, url, obj):
    """Attributes of a selectable list row: click or Enter loads its details."""
    selected = context.get("selected")
    is_selected = selected is not None and getattr(selected, "pk", None) == obj.pk
    return format_html(
        'data-row data-pk="{}" tabindex="0" class="{}" hx-get="{}" hx-target="#selection" hx-swap="innerHTML" '
        'hx-push-url="true" hx-trigger="click"',
        obj.pk, "selected" if is_selected else "", url)


@register.simple_tag
def role_status(role):
    """Status column: the product's wording, 'Live Migrating' while memory moves."""
    return status_override(role, getattr(role, "operation", None)) or role.status_text


@register.simple_tag(takes_context=True)
def role_info(context, role):
    """Information column: 'Live Migrating, 37% completed', queue places..."""
    return information(role, getattr(role, "operation", None), context.get("sim_now"))


@register.filter
def seconds(value):
    try:
        return describe_seconds(float(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def mib(value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{v / 1024:.2f} GiB" if v >= 1024 else f"{v:.0f} MiB"


@register.filter
def join_names(value):
    """A list of names as the wizards' text boxes show them: 'S1, S2'."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value or ""


@register.filter
def pending_restart(pending):
    """What waits for a server's restart, in words ('' when nothing does)."""
    return describe_pending(pending or {})
