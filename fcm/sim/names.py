"""Computer and cluster name rules (NetBIOS), as the product enforces them.

A cluster name or a server name becomes a NetBIOS computer name and a DNS
label: 1 to 15 characters, none of the characters NetBIOS forbids, not all
digits (fcm.md section 3.2).
"""
import re

MAX_NETBIOS_LENGTH = 15
_FORBIDDEN = set('\\/:*?"<>|,~!@#$%^&\'.(){}_ ')
_ALL_DIGITS = re.compile(r"^[0-9]+$")


def netbios_name_problem(name):
    """Why `name` is not a valid computer name, or None when it is."""
    if not name:
        return "A name is required."
    if len(name) > MAX_NETBIOS_LENGTH:
        return f"The name is longer than {MAX_NETBIOS_LENGTH} characters."
    bad = sorted({c for c in name if c in _FORBIDDEN or ord(c) < 32})
    if bad:
        shown = " ".join("space" if c == " " else c for c in bad)
        return f"The name contains characters that are not allowed: {shown}"
    if _ALL_DIGITS.match(name):
        return "The name cannot consist of digits only."
    return None


def fqdn(name, domain):
    """The fully qualified name of a computer (lower-case domain part)."""
    return f"{name}.{domain}" if domain else name


_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MAX_DNS_NAME_LENGTH = 253


def host_pattern_problem(pattern):
    """Why `pattern` is not what Hyper-V Replica's "Allow replication from the specified servers" takes (a
    server's DNS name, or a wildcard for a domain: *.contoso.com), or None when it is."""
    if not pattern:
        return "A primary server is required."
    if len(pattern) > MAX_DNS_NAME_LENGTH:
        return f"'{pattern[:40]}...' is longer than a DNS name can be ({MAX_DNS_NAME_LENGTH} characters)."
    labels = pattern.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if not labels or not all(_DNS_LABEL.match(label) for label in labels):
        return f"'{pattern}' is not a server name (FQDN or *.domain)."
    return None
