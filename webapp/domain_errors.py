"""The errors services raise for people to read: one vocabulary for every domain.

A service raises a :class:`DomainError` when a rule of the site refuses a write; its ``message`` is written
for the person who asked. A :class:`FieldError` also names the form field the message belongs to, so a view
shows it next to that field with :func:`webapp.forms.show_field_error`. This module is neutral (it imports
no domain), so every domain can raise these without importing another one.
"""

from __future__ import annotations


class DomainError(Exception):
    """A write a rule of the site refuses; ``message`` says why, in words for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FieldError(DomainError):
    """A refused write that concerns one form field: ``field`` names it ("" when it concerns the whole form)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
