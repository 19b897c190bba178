"""Request guards for every route: integer URL parts the database can hold, and no unexpected file uploads."""

from __future__ import annotations

import builtins

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from webapp.db_types import INTEGER_MAX


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to ``limit`` (no leading zeros beyond its length)."""
    digits = str(limit)
    choices = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - index - 1
            choices.append(digits[:index] + (f"[0-{int(digit) - 1}]" if digit != "1" else "0")
                           + (rf"\d{{{rest}}}" if rest else ""))
    choices.append(digits)
    return "(?:" + "|".join(choices) + ")"


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` that matches only values an id column can hold (:data:`INTEGER_MAX`): a larger one is a
    404, not a 500 from the database driver when the view looks it up.

    The bound is in the regular expression, not only in ``to_python``: Werkzeug answers a value refused by
    ``to_python`` with 405 when another rule has the same path for other methods (a cell's GET and POST)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        max = INTEGER_MAX if max is None else builtins.min(max, INTEGER_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if not fixed_digits:
            self.regex = ("-?" if signed else "") + digits_at_most(max if max >= 0 else INTEGER_MAX)


def accepts_files(view):
    """Mark a view that takes file uploads: every other view answers a request with file parts with 400."""
    view.accepts_files = True
    return view


def reject_file_parts():
    """No form on this site has a file field, so a file part is a text field sent as a file: WTForms would
    hand the form a ``FileStorage`` where it expects text. Refuse it clearly instead."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.mimetype.startswith("multipart/"):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "accepts_files", False):
        return None
    if request.files:
        names = ", ".join(sorted(set(request.files)))[:200]
        abort(400, f"This form takes no file uploads: send {names} as text.")
    return None


def register(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any route is added) and the file-part guard."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(reject_file_parts)
