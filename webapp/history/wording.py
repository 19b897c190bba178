"""A recorded change in people's words ("Changed the cell Django 5 support of django-foo"), for history pages.

Reads a change's stored fields only (its type, action, field, values and summary), so a page lists any number
of changes without another query. Pages use it as the ``in_words`` template filter (webapp/history/views.py).
"""

from __future__ import annotations

from typing import Any

from webapp.history.models import ChangeAction

# Field names as the forms call them.
FIELD_WORDS = {
    "title": "title", "slug": "address", "description": "description", "category_id": "category",
    "repo_url": "repository URL", "pypi_url": "PyPI URL", "documentation_url": "documentation URL",
    "removed_at": "removal", "removed_reason": "reason for removal", "is_locked": "lock", "text": "text",
}
CELL_SEPARATOR = " · "  # how a cell's summary names it: "<package> · <feature>" (webapp/grids/services.py)


def field_words(field: str) -> str:
    """A field's name as people say it."""
    return FIELD_WORDS.get(field, field.replace("_id", "").replace("_", " "))


def _quoted(value: str | None) -> str:
    return f"“{value}”" if value else ""


def _cell(summary: str) -> tuple[str, bool]:
    package, separator, feature = summary.partition(CELL_SEPARATOR)
    if separator and package and feature:
        return f"the cell “{feature}” of {package}", True
    return "a cell", False


def describe(change: Any) -> tuple[str, str]:
    """(sentence, detail): what ``change`` did, and what else its summary says ("" when the sentence says it)."""
    kind, action, field = change.object_type, change.action, change.field or ""
    summary = change.summary or ""
    old, new = change.old_value, change.new_value
    verbs = {ChangeAction.CREATE: "Added", ChangeAction.UPDATE: "Changed", ChangeAction.DELETE: "Deleted",
             ChangeAction.REVERT: "Reverted", ChangeAction.DISMISS: "Kept"}
    verb = verbs.get(action, str(action).capitalize())
    if kind == "element":
        cell, named = _cell(summary)
        sentence = {ChangeAction.CREATE: f"Filled in {cell}", ChangeAction.UPDATE: f"Changed {cell}",
                    ChangeAction.DELETE: f"Cleared {cell}"}.get(action, f"{verb} {cell}")
        return sentence, "" if named else summary
    if kind == "grid_package":
        if action == ChangeAction.CREATE and new:
            return f"Added {new} to the grid", ""
        if action == ChangeAction.DELETE and old:
            return f"Removed {old} from the grid", ""
        return f"{verb} a package of the grid", summary
    if kind == "grid":
        if action == ChangeAction.CREATE:
            return f"Created the grid {_quoted(new)}".rstrip(), ""
        if action == ChangeAction.DELETE:
            return f"Deleted the grid {_quoted(old)}".rstrip(), summary
        if field == "is_locked" and action == ChangeAction.UPDATE:
            return ("Locked the grid" if str(new).lower() in ("true", "1") else "Unlocked the grid"), ""
        if field == "title" and action == ChangeAction.UPDATE:
            return "Renamed the grid", ""
        return f"{verb} the grid's {field_words(field)}", "" if action == ChangeAction.UPDATE else summary
    if kind == "feature":
        if action == ChangeAction.CREATE:
            return f"Added the feature {_quoted(new)}".rstrip(), ""
        if action == ChangeAction.DELETE:
            return f"Deleted the feature {_quoted(old)}".rstrip(), ""
        if field == "title" and action == ChangeAction.UPDATE:
            return f"Renamed the feature {_quoted(old)}".rstrip(), ""
        return f"{verb} the {field_words(field)} of a feature", "" if action == ChangeAction.UPDATE else summary
    if kind == "package":
        if action in (ChangeAction.CREATE, ChangeAction.DELETE):
            return f"{verb} the package", summary
        if action == ChangeAction.DISMISS:
            return "Kept the package after a flag", summary
        if field:
            return f"{verb} the package's {field_words(field)}", "" if action == ChangeAction.UPDATE else summary
    thing = kind.replace("_", " ")
    return f"{verb} {'the ' + field_words(field) + ' of ' if field else ''}a {thing}", summary
