"""Reading a pasted requirements file: the project names it asks for, and the lines that could not be read.

Each line is read with ``packaging.requirements`` after its comment is cut off. Blank lines, comments and pip
options (``-r other.txt``, ``--hash=...``, ``-e ./src``) are skipped; a line ending in ``\\`` continues on the next.
Names are compared as PyPI does (PEP 503: case, ``-``, ``_`` and ``.`` do not matter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement

MAX_LINES = 1000
_SEPARATORS = re.compile(r"[-_.]+")
_COMMENT = re.compile(r"(^|\s)#.*$")


def normalise_name(name: str) -> str:
    """A project name as PyPI compares them: ``Django_Crispy.Forms`` -> ``django-crispy-forms``."""
    return _SEPARATORS.sub("-", name).lower()


@dataclass
class ParsedRequirements:
    """The names asked for (normalised, in the file's order, each once) and the lines that are not requirements."""

    names: list[str] = field(default_factory=list)
    spelled: dict[str, str] = field(default_factory=dict)  # normalised name -> as the file wrote it
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (line number, line)


def parse_requirements(text: str, max_lines: int = MAX_LINES) -> ParsedRequirements:
    """Read ``text`` as a requirements file (see the module's description)."""
    result = ParsedRequirements()
    logical: list[tuple[int, str]] = []
    pending, pending_number = "", 0
    for number, raw in enumerate(text.splitlines()[:max_lines], start=1):
        line = raw.rstrip()
        if not pending:
            pending_number = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append((pending_number, pending + line))
        pending = ""
    if pending:
        logical.append((pending_number, pending))
    for number, line in logical:
        text_part = _COMMENT.sub("", line).strip()
        if not text_part or text_part.startswith("-"):
            continue
        # An environment marker or hash option after the requirement is allowed by pip, not by packaging.
        text_part = re.split(r"\s--?[a-z]", text_part, maxsplit=1)[0].strip()
        try:
            requirement = Requirement(text_part)
        except InvalidRequirement:
            result.unreadable.append((number, line.strip()[:200]))
            continue
        name = normalise_name(requirement.name)
        if name not in result.spelled:
            result.names.append(name)
            result.spelled[name] = requirement.name
    return result
