"""Row ids as people type them into URLs, query strings and posts, parsed in one place.

A row id is 1 to 18 ASCII digits: every 64-bit key fits, and anything else names no row. Parsing
here, before a query, keeps malformed ids a 404 with a message instead of a database error
(SQLite refuses integers beyond 64 bits with an OverflowError; Django a non-number with a
ValueError). `str.isdigit` alone would let through '²', which `int()` refuses.

The `id` path converter (registered by the app's `ready()`) is the same rule for ids in URLs:
`labs/<id:lab>/` does not match 10**30, so the resolver answers 404.
"""

#: At most 18 digits: below 2**63, the largest key SQLite and PostgreSQL's bigint hold.
MAX_DIGITS = 18


def whole_number(text):
    """A whole number typed as digits 0-9 (at most 18 of them, what a row id can be); None for anything else."""
    text = (text or "").strip() if isinstance(text, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS else None


def whole_numbers(texts):
    """The whole numbers among `texts`, in order (the rest dropped)."""
    return [n for n in map(whole_number, texts) if n is not None]


class RowIdConverter:
    """`<id:pk>`: a row id in a URL; longer numbers, signs and letters do not match (a 404)."""

    regex = f"[0-9]{{1,{MAX_DIGITS}}}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)
