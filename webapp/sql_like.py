"""LIKE matching of user text: ``%`` and ``_`` typed by a person are literal characters, not wildcards.

Every ``like``/``ilike`` on user input goes through these helpers, so ``q=%`` does not match everything.
"""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (and the escape character itself) escaped, for ``ESCAPE '\\'``."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains(expression, text: str):
    """SQL: ``expression`` contains ``text`` literally (case as given: lower both sides for case-insensitive)."""
    return expression.like(f"%{escape_like(text)}%", escape=LIKE_ESCAPE)


def starts_with(expression, text: str):
    """SQL: ``expression`` starts with ``text`` literally."""
    return expression.like(f"{escape_like(text)}%", escape=LIKE_ESCAPE)
