"""Helpers the Alembic migrations share (migrations/versions/)."""

from __future__ import annotations


def saved_sqlite_schema(bind, tables) -> list:
    """The CREATE statements of the triggers and indexes on ``tables`` (SQLite only; [] elsewhere): copying a
    table, as ``batch_alter_table`` may, drops its triggers and the indexes on expressions it cannot reflect."""
    if bind.dialect.name != "sqlite":
        return []
    marks = ", ".join(f"'{table}'" for table in tables)
    return bind.exec_driver_sql(f"SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'index') "
                                f"AND sql IS NOT NULL AND tbl_name IN ({marks})").all()


def restore_sqlite_schema(bind, saved) -> None:
    """Create again what :func:`saved_sqlite_schema` saved and a table copy dropped."""
    if not saved:
        return
    present = set(bind.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    for name, sql in saved:
        if name not in present:
            bind.exec_driver_sql(sql)
