"""After rows were inserted with explicit ids (the demo loader, the importer): move the id sequences on.

Neutral ground: it reads the tables from the metadata, so it names no domain.
"""

from __future__ import annotations

from sqlalchemy import Integer, text

from webapp.extensions import db


def reset_sequences() -> None:
    """Move every table's ``id`` sequence past the largest id in it (PostgreSQL; SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is None or not column.primary_key or not isinstance(column.type, Integer):
            continue
        # pg_get_serial_sequence is NULL for an id without a sequence, and setval(NULL, ...) does nothing.
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        ))
