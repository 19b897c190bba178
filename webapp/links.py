"""Links to other sites: the one rule for which stored addresses may become an ``href`` or a ``src``.

Every writer of a URL column (forms, the fetch service, the importer, GitHub sign-in) checks a value with
:func:`url_problem` before storing it, and every template passes stored addresses through the ``safe_url``
filter (:func:`safe_url`) before putting them in an attribute, so data that reached the database another way
(an old row, a manual fix, a future writer) cannot become a ``javascript:`` link either.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

URL_MAX = 500  # the length of the packages' URL columns
# Control characters, and whitespace anywhere (``\s`` matches every character ``str.isspace`` knows).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]|\s")


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable link, or ``None``: only absolute http(s) URLs with a host."""
    if not isinstance(value, str) or not value:
        return "Enter a web address."
    if len(value) > URL_MAX:
        return f"At most {URL_MAX} characters."
    if _CONTROL.search(value):
        return "A web address cannot contain spaces or control characters."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        return "That is not a valid web address."
    if parts.scheme.lower() not in {"http", "https"}:
        return "Only http:// and https:// addresses are allowed."
    if not parts.hostname or "." not in parts.hostname or parts.username or parts.password:
        return "Enter a full web address, such as https://example.org/."
    if any(char in value for char in "<>\"'`\\"):
        return "That is not a valid web address."
    return None


@lru_cache(maxsize=4096)
def _acceptable(value: str) -> bool:
    return url_problem(value) is None


def is_web_url(value: str | None) -> bool:
    """True when ``value`` passes :func:`url_problem` (remembered: pages check the same stored links again and
    again)."""
    return isinstance(value, str) and bool(value) and _acceptable(value)


def safe_url(value: str | None) -> str:
    """``value`` when it is an acceptable http(s) link, else ``""`` (templates then leave the link out)."""
    return value if is_web_url(value) else ""
