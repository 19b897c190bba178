"""The search index: one document per package and per grid, and the vocabulary the spelling step corrects to.

Each document has four weighted fields: ``name`` (title, slug, PyPI name; names split on ``-``, ``_``, ``.`` and
camel case as well as whole), ``keywords`` (the repository's owner and name, the titles of the grids a package is
in, a grid's feature titles), ``body`` (description, category) and ``inner`` (every tail of the name written
without separators, so ``rest`` still finds ``djangorestframework`` through a prefix match, from the index).

SQLite keeps the documents in FTS5 tables (porter stemming, prefix indexes, BM25); PostgreSQL in tables with a
weighted ``tsvector`` under a GIN index, and ``pg_trgm`` over the vocabulary for typos. Neither is a model:
:func:`install` creates them (the migration and ``db.create_all`` both call it), and :func:`watch` keeps them
current from the ORM: every flush records which packages and grids changed an indexed field (also bulk
``DELETE``/``UPDATE`` statements run through the session), and just before the commit their documents are
rewritten in the same transaction, whoever wrote (services, fetch, importer, demo loader).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import bindparam, event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from webapp.repos import parse_repo_url, pypi_name

PACKAGES = "search_packages"
GRIDS = "search_grids"
TERMS = "search_terms"
# Tables (and FTS5's shadow tables) that belong to the index, not to the models (migrations/env.py skips them).
INDEX_TABLE_PREFIXES = (PACKAGES, GRIDS, TERMS)
FIELDS = ("name", "keywords", "body", "inner")

_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_NAME_LIMIT = 60  # longest name whose tails are indexed
SPELLING_MIN, SPELLING_MAX = 3, 30  # vocabulary word lengths


def is_index_table(name: str) -> bool:
    """True for the index's own tables (and FTS5's shadow tables), which no model describes."""
    return name.startswith(INDEX_TABLE_PREFIXES)


def words(value: str | None) -> list[str]:
    """The lowercase words of ``value`` (letters and digits; ``_`` and punctuation separate)."""
    return _WORD.findall((value or "").lower())


def name_forms(name: str | None) -> list[str]:
    """A name whole, split on separators and camel case, and written without separators."""
    name = name or ""
    forms = words(name)
    for part in re.split(r"[^\w]+|_", name):
        pieces = [piece.lower() for piece in _CAMEL.findall(part)]
        if len(pieces) > 1:
            forms += pieces
    compact = "".join(forms[:len(words(name))])
    if compact and compact not in forms:
        forms.append(compact)
    return list(dict.fromkeys(forms))


def tails(name: str | None) -> list[str]:
    """Every tail of ``name`` without separators but itself: ``abc`` gives ``bc`` and ``c``."""
    compact = "".join(words(name))[:_NAME_LIMIT]
    return [compact[start:] for start in range(1, len(compact))]


def _join(values: Iterable[str]) -> str:
    return " ".join(value for value in values if value)


def package_document(row, grid_titles: list[str]) -> dict[str, str]:
    """The indexed fields of a package (``row`` has title, slug, repo_url, pypi_url, repo_description,
    category)."""
    repo = parse_repo_url(row.repo_url) if row.repo_url else None
    pypi = pypi_name(row.pypi_url) or ""
    names = name_forms(row.title) + name_forms(row.slug) + name_forms(pypi)
    keywords = (name_forms(repo.owner) + name_forms(repo.name) if repo else []) + [
        word for title in grid_titles for word in words(title)]
    return {"name": _join(dict.fromkeys(names)), "keywords": _join(keywords),
            "body": _join([row.repo_description or "", row.category or ""]),
            "inner": _join(dict.fromkeys(tails(row.title) + tails(row.slug)))}


def grid_document(row, feature_titles: list[str]) -> dict[str, str]:
    """The indexed fields of a grid (``row`` has title, slug, description)."""
    return {"name": _join(dict.fromkeys(name_forms(row.title) + name_forms(row.slug))),
            "keywords": _join(feature_titles), "body": row.description or "",
            "inner": _join(dict.fromkeys(tails(row.title)))}


def vocabulary(document: dict[str, str]) -> set[str]:
    """The words of a document the spelling step may correct to."""
    found = set()
    for field in ("name", "keywords", "body"):
        found.update(word for word in words(document[field])
                     if SPELLING_MIN <= len(word) <= SPELLING_MAX and not word.isdigit())
    return found


# -- schema ------------------------------------------------------------------------------------------------------


def _statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
        for table in (PACKAGES, GRIDS):
            statements += [
                f"CREATE TABLE {table} (id integer PRIMARY KEY, "
                "name text NOT NULL, keywords text NOT NULL, body text NOT NULL, inner_ text NOT NULL, "
                "document tsvector NOT NULL)",
                f"CREATE INDEX {table}_document ON {table} USING gin (document)",
            ]
        return statements + [
            f"CREATE TABLE {TERMS} (term text PRIMARY KEY, documents integer NOT NULL)",
            f"CREATE INDEX {TERMS}_trigram ON {TERMS} USING gin (term gin_trgm_ops)",
            f"CREATE INDEX {TERMS}_prefix ON {TERMS} (term text_pattern_ops)",  # LIKE 'pr%' whatever the collation
        ]
    fts = "name, keywords, body, inner, tokenize='porter unicode61', prefix='2 3 4'"
    return [f"CREATE VIRTUAL TABLE {PACKAGES} USING fts5({fts})", f"CREATE VIRTUAL TABLE {GRIDS} USING fts5({fts})",
            f"CREATE TABLE {TERMS} (term TEXT PRIMARY KEY, documents INTEGER NOT NULL) WITHOUT ROWID"]


# PostgreSQL: the weighted tsvector of a row's fields ('simple': words stay whole; stemming comes from the query).
_PG_DOCUMENT = ("setweight(to_tsvector('simple', :name), 'A') || setweight(to_tsvector('english', :name), 'A') || "
                "setweight(to_tsvector('simple', :keywords), 'B') || "
                "setweight(to_tsvector('english', :keywords), 'B') || setweight(to_tsvector('english', :body), 'C') "
                "|| setweight(to_tsvector('simple', :inner), 'D')")


def install(connection: Connection) -> None:
    """Create the index's tables (and ``pg_trgm``) and fill them from the rows there are."""
    uninstall(connection)
    for statement in _statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    rebuild(connection)


def uninstall(connection: Connection) -> None:
    """Drop the index's tables."""
    for table in (PACKAGES, GRIDS, TERMS):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def clear(connection: Connection) -> None:
    """Empty the index (the tests empty every table between tests)."""
    for table in (PACKAGES, GRIDS, TERMS):
        connection.exec_driver_sql(f"DELETE FROM {table}")


def rebuild(connection: Connection) -> None:
    """Index every package and grid afresh."""
    clear(connection)
    package_ids = list(connection.execute(text("SELECT id FROM packages")).scalars())
    grid_ids = list(connection.execute(text("SELECT id FROM grids")).scalars())
    for start in range(0, max(len(package_ids), 1), 2000):
        reindex(connection, packages=package_ids[start:start + 2000])
    for start in range(0, max(len(grid_ids), 1), 2000):
        reindex(connection, grids=grid_ids[start:start + 2000])


# -- writing -----------------------------------------------------------------------------------------------------


def _package_documents(connection: Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    rows = connection.execute(text(
        "SELECT packages.id, packages.title, packages.slug, packages.repo_url, packages.pypi_url, "
        "packages.repo_description, categories.title AS category FROM packages "
        "LEFT JOIN categories ON categories.id = packages.category_id WHERE packages.id IN :ids "
        "AND packages.removed_at IS NULL"  # a package moderation removed is searched no more
    ).bindparams(_expanding("ids")), {"ids": ids}).all()
    grid_titles: dict[int, list[str]] = {}
    for package_id, title in connection.execute(text(
            "SELECT grid_packages.package_id, grids.title FROM grid_packages JOIN grids ON grids.id = "
            "grid_packages.grid_id WHERE grid_packages.package_id IN :ids ORDER BY grids.title"
    ).bindparams(_expanding("ids")), {"ids": ids}):
        grid_titles.setdefault(package_id, []).append(title)
    return {row.id: package_document(row, grid_titles.get(row.id, [])) for row in rows}


def _grid_documents(connection: Connection, ids: list[int]) -> dict[int, dict[str, str]]:
    rows = connection.execute(text("SELECT id, title, slug, description FROM grids WHERE id IN :ids")
                              .bindparams(_expanding("ids")), {"ids": ids}).all()
    features: dict[int, list[str]] = {}
    for grid_id, title in connection.execute(text(
            "SELECT grid_id, title FROM features WHERE grid_id IN :ids ORDER BY id").bindparams(_expanding("ids")),
            {"ids": ids}):
        features.setdefault(grid_id, []).append(title)
    return {row.id: grid_document(row, features.get(row.id, [])) for row in rows}


def _expanding(name: str):
    return bindparam(name, expanding=True)


def _stored(connection: Connection, table: str, ids: list[int]) -> dict[int, dict[str, str]]:
    postgresql = connection.dialect.name == "postgresql"
    key, inner = ("id", "inner_") if postgresql else ("rowid", "inner")
    rows = connection.execute(text(f"SELECT {key}, name, keywords, body, {inner} FROM {table} WHERE {key} IN :ids")
                              .bindparams(_expanding("ids")), {"ids": ids})
    return {row[0]: dict(zip(FIELDS, row[1:], strict=True)) for row in rows}


def reindex(connection: Connection, packages: Iterable[int] = (), grids: Iterable[int] = ()) -> None:
    """Rewrite the documents of these packages and grids (a missing row loses its document)."""
    for table, ids, build in ((PACKAGES, sorted(set(packages)), _package_documents),
                              (GRIDS, sorted(set(grids)), _grid_documents)):
        if not ids:
            continue
        old = _stored(connection, table, ids)
        new = build(connection, ids)
        postgresql = connection.dialect.name == "postgresql"
        key = "id" if postgresql else "rowid"
        connection.execute(text(f"DELETE FROM {table} WHERE {key} IN :ids").bindparams(_expanding("ids")),
                           {"ids": ids})
        if new:
            rows = [{"id": ident, **document} for ident, document in new.items()]
            if postgresql:
                connection.execute(text(f"INSERT INTO {table} (id, name, keywords, body, inner_, document) "
                                        f"VALUES (:id, :name, :keywords, :body, :inner, {_PG_DOCUMENT})"), rows)
            else:
                connection.execute(text(f"INSERT INTO {table} (rowid, name, keywords, body, inner) "
                                        "VALUES (:id, :name, :keywords, :body, :inner)"), rows)
        change = Counter()
        for document in old.values():
            change.subtract(vocabulary(document))
        for document in new.values():
            change.update(vocabulary(document))
        _count_terms(connection, change)


def _count_terms(connection: Connection, change: Counter) -> None:
    added = [{"term": term, "n": n} for term, n in change.items() if n > 0]
    removed = [{"term": term, "n": -n} for term, n in change.items() if n < 0]
    if added:
        connection.execute(text(f"INSERT INTO {TERMS} (term, documents) VALUES (:term, :n) ON CONFLICT (term) "
                                f"DO UPDATE SET documents = {TERMS}.documents + excluded.documents"), added)
    if removed:
        connection.execute(text(f"UPDATE {TERMS} SET documents = documents - :n WHERE term = :term"), removed)
        connection.execute(text(f"DELETE FROM {TERMS} WHERE documents <= 0"))


# -- keeping it current ------------------------------------------------------------------------------------------

_PENDING = "search_index_pending"


def _indexed_changes(session: Session) -> tuple[set[int], set[int], set[int]]:
    """(packages, grids, categories) whose documents this flush changes."""
    from webapp.catalog.models import Category, Package
    from webapp.grids.models import Feature, Grid, GridPackage

    packages, grids, categories = set(), set(), set()
    watched = {Package: ("title", "slug", "repo_url", "pypi_url", "repo_description", "category_id", "removed_at"),
               Grid: ("title", "slug", "description"), Category: ("title",), Feature: ("title", "grid_id"),
               GridPackage: ("grid_id", "package_id")}
    for instance in [*session.new, *session.dirty, *session.deleted]:
        fields = watched.get(type(instance))
        if fields is None:
            continue
        state = inspect(instance)
        if instance in session.dirty and not any(state.attrs[field].history.has_changes() for field in fields):
            continue
        if isinstance(instance, Package):
            packages.add(instance.id)
        elif isinstance(instance, Grid):
            grids.add(instance.id)
            if instance not in session.new and state.attrs["title"].history.has_changes():
                grids.add(-instance.id)  # its packages' keywords hold the title
        elif isinstance(instance, Category):
            if instance not in session.new:
                categories.add(instance.id)
        elif isinstance(instance, Feature):
            grids.update(value for value in [instance.grid_id, *state.attrs["grid_id"].history.deleted] if value)
        else:
            packages.update(value for value in [instance.package_id, *state.attrs["package_id"].history.deleted]
                            if value)
            grids.update(value for value in [instance.grid_id, *state.attrs["grid_id"].history.deleted] if value)
    return packages, grids, categories


_INDEXED = {"title", "slug", "repo_url", "pypi_url", "repo_description", "category_id", "description", "grid_id",
            "package_id", "removed_at"}


def _pending(session: Session) -> dict[str, set[int]]:
    return session.info.setdefault(_PENDING, {"packages": set(), "grids": set(), "categories": set()})


def _after_flush(session: Session, flush_context) -> None:
    packages, grids, categories = _indexed_changes(session)
    pending = _pending(session)
    pending["packages"] |= {ident for ident in packages if ident}
    pending["grids"] |= grids
    pending["categories"] |= categories


def _bulk_statement(orm_execute_state) -> None:
    """A bulk ``UPDATE``/``DELETE`` through the session: note the rows it reaches before it runs."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    from webapp.catalog.models import Category, Package
    from webapp.grids.models import Feature, Grid, GridPackage

    mapper = orm_execute_state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    columns = {Package: [Package.id], Grid: [Grid.id], Category: [Category.id], Feature: [Feature.grid_id],
               GridPackage: [GridPackage.package_id, GridPackage.grid_id]}.get(entity)
    if columns is None:
        return
    statement = orm_execute_state.statement
    values = getattr(statement, "_values", None)
    if orm_execute_state.is_update and values and not {getattr(key, "key", key) for key in values} & _INDEXED:
        return  # counters and dates: no indexed field changes
    rows = orm_execute_state.session.execute(select(*columns).where(statement.whereclause)
                                             if statement.whereclause is not None else select(*columns)).all()
    pending = _pending(orm_execute_state.session)
    for row in rows:
        if entity is Package:
            pending["packages"].add(row[0])
        elif entity is Category:
            pending["categories"].add(row[0])
        elif entity is GridPackage:
            pending["packages"].add(row[0])
            pending["grids"].add(row[1])
        else:
            pending["grids"].add(row[0])


def _before_commit(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()):
        return
    connection = session.connection()
    packages = set(pending["packages"])
    grids = {ident for ident in pending["grids"] if ident > 0}
    renamed = [-ident for ident in pending["grids"] if ident < 0]
    if renamed:
        packages.update(connection.execute(text("SELECT package_id FROM grid_packages WHERE grid_id IN :ids")
                                           .bindparams(_expanding("ids")), {"ids": renamed}).scalars())
    if pending["categories"]:
        packages.update(connection.execute(text("SELECT id FROM packages WHERE category_id IN :ids")
                                           .bindparams(_expanding("ids")), {"ids": sorted(pending["categories"])})
                        .scalars())
    packages = sorted(packages)
    for start in range(0, len(packages), 2000):
        reindex(connection, packages=packages[start:start + 2000])
    reindex(connection, grids=grids)


def _forget(session: Session, *args) -> None:
    session.info.pop(_PENDING, None)


def watch(db) -> None:
    """Keep the index current from every ORM session (Flask-SQLAlchemy's, and the plain ones the fetch service
    opens), and create it with ``db.create_all()``; installing twice (several apps in one process) changes
    nothing."""
    session_class = Session
    for target, name, listener in ((session_class, "after_flush", _after_flush),
                                   (session_class, "do_orm_execute", _bulk_statement),
                                   (session_class, "before_commit", _before_commit),
                                   (session_class, "after_rollback", _forget),
                                   (db.metadata, "after_create", _after_create)):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def _after_create(metadata, connection: Connection, **kw) -> None:
    # db.create_all() (tests, a new database without migrations): the index comes with the tables.
    created = {table.name for table in kw.get("tables") or metadata.sorted_tables}
    if "packages" in created:
        install(connection)
