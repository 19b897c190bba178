"""Stored counters: how many packages, grids, people and categories there are, and each category's packages.

The home page, the lists and the API show counts over whole tables; counting them per request costs a scan
that grows with the catalogue. Instead each count is stored (a row of ``site_counters``, or a column of the
parent row such as ``categories.package_count``) and kept exact by database triggers generated from
:data:`COUNTERS`: every write changes them in its own transaction, whoever writes (services, the fetch
service, the importer, bulk ``DELETE`` statements, SQL typed by hand), and concurrent writers queue on the
counter's row instead of losing an increment. :func:`check` compares every counter with a fresh ``COUNT(*)``.

A migration that copies a counted table on SQLite (``batch_alter_table`` recreating it) drops that table's
triggers: it must call :func:`install` again (tests/test_scale.py checks the migrated schema has them all).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, String, event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class SiteCounter(db.Model):
    """One stored count over a whole table (see :data:`COUNTERS`)."""

    __tablename__ = "site_counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Counter:
    """How many rows of ``table`` satisfy ``condition``.

    ``condition`` is SQL about one row, written with ``{row}`` for the row (``NEW``/``OLD`` in the triggers, the
    table in a fresh count); ``None`` counts every row. ``columns`` are the ones it reads. Without ``parent``
    the count is the ``site_counters`` row ``name``; with ``parent=(table, column)`` and ``key`` (the counted
    table's column referring to the parent's id) each parent row holds the count of its own rows.
    """

    name: str
    table: str
    condition: str | None = None
    columns: tuple[str, ...] = ()
    parent: tuple[str, str] | None = None
    key: str | None = None

    def where(self, row: str) -> str:
        return f"({self.condition.format(row=row)})" if self.condition else "TRUE"

    @property
    def watched(self) -> tuple[str, ...]:
        """The columns whose change can move the count."""
        return self.columns + ((self.key,) if self.key else ())


LISTED = "{row}.removed_at IS NULL"  # moderation has not removed the package (webapp.catalog.queries)

COUNTERS: tuple[Counter, ...] = (
    Counter("packages", "packages", LISTED, ("removed_at",)),
    Counter("demo_packages", "packages", "{row}.stats_are_demo", ("stats_are_demo",)),
    Counter("grids", "grids"),
    Counter("categories", "categories"),
    Counter("users", "users"),
    Counter("active_users", "users", "{row}.is_active", ("is_active",)),
    Counter("category_packages", "packages", LISTED, ("removed_at",), parent=("categories", "package_count"),
            key="category_id"),
    # How many people starred each package (webapp.catalog.services.set_favorite).
    Counter("package_favorites", "favorites", parent=("packages", "favorite_count"), key="package_id"),
)


# -- reading ---------------------------------------------------------------------------------------------------


def read(*names: str) -> dict[str, int]:
    """The stored site counters called ``names``: one query. A missing row (a database emptied by hand) is
    counted afresh rather than shown as 0."""
    found = dict(db.session.execute(
        select(SiteCounter.name, SiteCounter.value).where(SiteCounter.name.in_(names))).all())
    for name in set(names) - set(found):
        found[name] = _fresh_total(db.session.connection(), _by_name(name))
    return found


def _by_name(name: str) -> Counter:
    return next(counter for counter in COUNTERS if counter.name == name and counter.parent is None)


# -- checking and recounting -----------------------------------------------------------------------------------


def _fresh_total(connection: Connection, counter: Counter) -> int:
    return connection.execute(text(f"SELECT count(*) FROM {counter.table} WHERE {counter.where(counter.table)}")
                              ).scalar_one()


def _fresh_by_parent(connection: Connection, counter: Counter) -> dict[int, int]:
    parent, _column = counter.parent
    rows = connection.execute(text(
        f"SELECT {parent}.id, (SELECT count(*) FROM {counter.table} WHERE {counter.table}.{counter.key} = "
        f"{parent}.id AND {counter.where(counter.table)}) FROM {parent}"))
    return dict(rows.all())


def _stored_by_parent(connection: Connection, counter: Counter) -> dict[int, int]:
    parent, column = counter.parent
    return dict(connection.execute(text(f"SELECT id, {column} FROM {parent}")).all())


def fresh_values(connection: Connection) -> dict[str, object]:
    """What every counter should hold, counted afresh: a number, or ``{parent id: number}``."""
    return {counter.name: _fresh_total(connection, counter) if counter.parent is None
            else _fresh_by_parent(connection, counter) for counter in COUNTERS}


def stored_values(connection: Connection) -> dict[str, object]:
    """What every counter holds, in the shape of :func:`fresh_values`."""
    stored = dict(connection.execute(text("SELECT name, value FROM site_counters")).all())
    return {counter.name: stored.get(counter.name) if counter.parent is None
            else _stored_by_parent(connection, counter) for counter in COUNTERS}


def check(connection: Connection) -> list[str]:
    """Every stored counter that differs from a fresh ``COUNT(*)``, as ``name: stored != fresh``; ``[]`` when
    all agree."""
    fresh, stored = fresh_values(connection), stored_values(connection)
    return [f"{name}: {stored[name]} != {fresh[name]}" for name in fresh if stored[name] != fresh[name]]


def recount(connection: Connection, counters: tuple[Counter, ...] = COUNTERS) -> None:
    """Set every counter to a fresh ``COUNT(*)`` (filling them in a migration, or after emptying the tables)."""
    for counter in counters:
        if counter.parent is None:
            connection.execute(text("DELETE FROM site_counters WHERE name = :name"), {"name": counter.name})
            connection.execute(text(
                f"INSERT INTO site_counters (name, value) SELECT :name, count(*) FROM {counter.table} "
                f"WHERE {counter.where(counter.table)}"), {"name": counter.name})
        else:
            parent, column = counter.parent
            connection.execute(text(
                f"UPDATE {parent} SET {column} = (SELECT count(*) FROM {counter.table} WHERE "
                f"{counter.table}.{counter.key} = {parent}.id AND {counter.where(counter.table)})"))


# -- triggers --------------------------------------------------------------------------------------------------


def trigger_names(counter: Counter) -> list[str]:
    """The triggers that keep ``counter`` (as the database lists them)."""
    base = f"counter_{counter.name}"
    return [f"{base}_insert", f"{base}_delete"] + ([f"{base}_update"] if counter.watched else [])


def _change(counter: Counter, row: str, sign: str) -> str:
    """The statement adding ``sign`` 1 to the counter of ``row`` (NEW or OLD)."""
    if counter.parent is None:
        return f"UPDATE site_counters SET value = value {sign} 1 WHERE name = '{counter.name}'"
    parent, column = counter.parent
    return f"UPDATE {parent} SET {column} = {column} {sign} 1 WHERE id = {row}.{counter.key}"


def _sqlite_statements(counter: Counter) -> list[str]:
    insert, delete, *update = trigger_names(counter)
    when_new = f"WHEN {counter.where('NEW')}" if counter.condition else ""
    when_old = f"WHEN {counter.where('OLD')}" if counter.condition else ""
    statements = [
        f"CREATE TRIGGER {insert} AFTER INSERT ON {counter.table} FOR EACH ROW {when_new} "
        f"BEGIN {_change(counter, 'NEW', '+')}; END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {counter.table} FOR EACH ROW {when_old} "
        f"BEGIN {_change(counter, 'OLD', '-')}; END",
    ]
    if update:
        changed = [f"{counter.where('NEW')} IS NOT {counter.where('OLD')}"]
        if counter.key:
            changed.append(f"NEW.{counter.key} IS NOT OLD.{counter.key}")
        statements.append(
            f"CREATE TRIGGER {update[0]} AFTER UPDATE OF {', '.join(counter.watched)} ON {counter.table} FOR EACH ROW "
            f"WHEN {' OR '.join(changed)} BEGIN "
            f"{_change(counter, 'OLD', '-')} AND {counter.where('OLD')}; "
            f"{_change(counter, 'NEW', '+')} AND {counter.where('NEW')}; END")
    return statements


def _postgresql_statements(counter: Counter) -> list[str]:
    insert, delete, *update = trigger_names(counter)
    function = f"counter_{counter.name}"
    statements = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN IF {counter.where('OLD')} THEN {_change(counter, 'OLD', '-')}; END IF; END IF; "
        f"IF TG_OP <> 'DELETE' THEN IF {counter.where('NEW')} THEN {_change(counter, 'NEW', '+')}; END IF; END IF; "
        f"RETURN NULL; END $$",
        f"CREATE TRIGGER {insert} AFTER INSERT ON {counter.table} FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {counter.table} FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]
    if update:
        changed = [f"{counter.where('NEW')} IS DISTINCT FROM {counter.where('OLD')}"]
        if counter.key:
            changed.append(f"NEW.{counter.key} IS DISTINCT FROM OLD.{counter.key}")
        statements.append(
            f"CREATE TRIGGER {update[0]} AFTER UPDATE OF {', '.join(counter.watched)} ON {counter.table} "
            f"FOR EACH ROW WHEN ({' OR '.join(changed)}) EXECUTE FUNCTION {function}()")
    return statements


def install(connection: Connection, counters: tuple[Counter, ...] = COUNTERS) -> None:
    """(Re)create the triggers of ``counters`` and recount them."""
    uninstall(connection, counters)
    build = _postgresql_statements if connection.dialect.name == "postgresql" else _sqlite_statements
    for counter in counters:
        for statement in build(counter):
            connection.exec_driver_sql(statement)
    recount(connection, counters)


def uninstall(connection: Connection, counters: tuple[Counter, ...] = COUNTERS) -> None:
    """Drop the triggers (and PostgreSQL functions) of ``counters``."""
    postgresql = connection.dialect.name == "postgresql"
    for counter in counters:
        for name in trigger_names(counter):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {counter.table}" if postgresql
                                                                            else ""))
        if postgresql:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS counter_{counter.name}()")


def installed_triggers(connection: Connection) -> set[str]:
    """The names of the counter triggers the database has."""
    if connection.dialect.name == "postgresql":
        query = "SELECT DISTINCT tgname FROM pg_trigger WHERE substr(tgname, 1, 8) = 'counter_' AND NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, 8) = 'counter_'"
    return set(connection.exec_driver_sql(query).scalars())


def _after_create(metadata, connection: Connection, **kw) -> None:
    # db.create_all() (tests, a new database without migrations): the triggers come with the tables.
    created = {table.name for table in kw.get("tables") or metadata.sorted_tables}
    if SiteCounter.__tablename__ in created:
        install(connection)


event.listen(db.metadata, "after_create", _after_create)
