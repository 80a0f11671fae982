"""Sizes the way the Windows consoles print them (binary units, "GB")."""

KB = 1024
MB = KB * 1024
GB = MB * 1024
TB = GB * 1024


def format_capacity(size_bytes):
    """'500 MB', '1.00 TB', '200 MB' — the Capacity column's style."""
    if size_bytes is None:
        return ""
    for unit, factor in (("TB", TB), ("GB", GB), ("MB", MB), ("KB", KB)):
        if size_bytes >= factor:
            value = size_bytes / factor
            if value == int(value):
                return f"{int(value)} {unit}"
            return f"{value:.2f} {unit}"
    return f"{size_bytes} bytes"


_UNITS = {"B": 1, "BYTES": 1, "KB": KB, "MB": MB, "GB": GB, "TB": TB,
          "KIB": KB, "MIB": MB, "GIB": GB, "TIB": TB}


def parse_size(text):
    """'500 MB' / '1024GB' / '1.5 TB' / 4096 (bytes) -> bytes; ValueError says why."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int):
        if text < 0:
            raise ValueError("a size cannot be negative")
        return text
    raw = str(text).strip().upper().replace(" ", "")
    number = raw.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    unit = raw[len(number):] or "B"
    if unit not in _UNITS or not number:
        raise ValueError(f"{text!r} is not a size such as '500 MB' or '40 GB'")
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a size such as '500 MB' or '40 GB'") from None
    if value < 0:
        raise ValueError("a size cannot be negative")
    return int(value * _UNITS[unit])
