"""Addresses built once and filled in many times.

``url_for`` walks the URL map on every call (about 20 µs); a grid page needs several addresses per package column
and per cell. A :class:`UrlPattern` asks ``url_for`` once, with stand-in values, and then fills the real values in
with the quoting Werkzeug's converters use, so the result is the same string ``url_for`` would give.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import url_for

# Stand-ins for the values filled in later: digits, so that every converter (int, string, path) accepts them.
_MARK_BASE = 2147483601


def _quote(value: object) -> str:
    # The quoting of werkzeug.routing.BaseConverter.to_url (a URL path segment); an id needs none.
    if type(value) is int:
        return str(value)
    return quote(str(value), safe="!$&'()*+,/:;=@")


class UrlPattern:
    """``url_for(endpoint, **values)`` with the arguments named in ``slots`` left open; call it with them, by name
    or in the order of ``slots``.

    >>> detail = UrlPattern("catalog.package_detail", "slug")   # doctest: +SKIP
    >>> detail(slug="django-rest")                              # doctest: +SKIP
    '/packages/p/django-rest/'
    """

    __slots__ = ("_parts", "_slots", "_order")

    def __init__(self, endpoint: str, *slots: str, **values) -> None:
        marks = {slot: str(_MARK_BASE + index) for index, slot in enumerate(slots)}
        url = url_for(endpoint, **values, **marks)
        path = url.partition("?")[0]
        for slot, mark in marks.items():
            if path.count(mark) != 1 or url.count(mark) != 1:
                raise ValueError(f"{endpoint}: the argument {slot!r} must appear once in its path")
        # The address cut at each slot, in the order the slots appear in it.
        order = sorted(range(len(slots)), key=lambda index: url.index(marks[slots[index]]))
        parts, rest = [], url
        for index in order:
            before, _, rest = rest.partition(marks[slots[index]])
            parts.append(before)
        parts.append(rest)
        self._parts, self._slots, self._order = tuple(parts), slots, tuple(order)

    def __call__(self, *positional, **named) -> str:
        """The address with every slot filled in (``positional`` in the order of the slots, or by name)."""
        values = positional or [named[slot] for slot in self._slots]
        parts = self._parts
        address = parts[0]
        for position, index in enumerate(self._order, 1):
            address += _quote(values[index]) + parts[position]
        return address
