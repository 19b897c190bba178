"""The demo data and the Alembic migrations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from webapp import create_app
from webapp.catalog.models import Category, Package, Usage
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.search.index import is_index_table

SEED = json.loads((Path(__file__).resolve().parents[1] / "webapp/demo/data/django-invitations-2674.json").read_text())


def test_demo_data_has_what_the_issue_asks(demo):
    assert demo["packages"] >= 300
    assert {c.title_plural for c in db.session.scalars(select(Category))} == {"Apps", "Frameworks", "Projects", "Other"}
    grids = list(db.session.scalars(select(Grid)))
    assert len(grids) >= 12
    for grid in grids:
        members = db.session.scalar(select(func.count()).select_from(GridPackage).where(GridPackage.grid_id == grid.id))
        features = db.session.scalar(select(func.count()).select_from(Feature).where(Feature.grid_id == grid.id))
        assert 5 <= members <= 15, grid.slug
        assert features >= 5, grid.slug
        assert grid.package_count == members
    assert db.session.scalar(select(func.count()).select_from(Element)) > 500
    assert db.session.scalar(select(func.count()).select_from(Usage)) > 50


def test_demo_contains_the_seed_package_exactly(demo):
    package = db.session.get(Package, 2674)
    assert package.slug == SEED["slug"] and package.title == SEED["title"]
    assert package.category_id == 1
    assert package.repo_watchers == SEED["repo_watchers"] and package.repo_forks == SEED["repo_forks"]
    assert package.participants == SEED["participants"]
    assert package.commits_over_52 == SEED["commits_over_52"]
    assert package.pypi_version == SEED["pypi_version"]
    assert package.documentation_url == SEED["documentation_url"]
    assert package.created.isoformat() == "2014-12-02T11:21:51.560890+00:00"
    grid_ids = set(db.session.scalars(select(GridPackage.grid_id).where(GridPackage.package_id == 2674)))
    assert grid_ids == {231, 282, 439}


def test_demo_pages_render(client, demo):
    for path in ["/", "/packages/", "/categories/apps/", "/packages/p/django-invitations/", "/grids/",
                 "/grids/g/invitations/", "/search/?q=invitations"]:
        response = client.get(path)
        assert response.status_code == 200, path
    assert "This site runs on demo data" in client.get("/").get_data(as_text=True)


def test_ids_continue_after_the_demo_data(demo):
    """Rows added after the demo must not collide with its explicit ids (PostgreSQL sequences)."""
    category = Category(title="New", slug="new-category")
    db.session.add(category)
    db.session.commit()
    assert category.id > 4


# SQLite cannot reflect the expression index on lower(username); PostgreSQL runs compare it.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning",
                            "ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_build_exactly_the_models_schema(empty_database_url):
    """`flask db upgrade` on an empty database creates what the models describe, no more, no less."""
    from flask_migrate import downgrade, upgrade

    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as connection:
            # The search index's tables are made by webapp/search/index.py, which no model describes.
            context = MigrationContext.configure(connection, opts={
                "compare_type": True,
                "include_name": lambda name, kind, parents: not (kind == "table" and is_index_table(name))})
            assert compare_metadata(context, db.metadata) == []
            # Triggers are not in the metadata: the stored counters' must all be there (webapp/counters.py).
            from webapp import counters

            assert counters.installed_triggers(connection) == {
                name for counter in counters.COUNTERS for name in counters.trigger_names(counter)}
            assert counters.check(connection) == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def _rows_before_current_release(connection) -> None:
    """Two packages as the schema before packages.current_release_id held them, one in a grid."""
    from datetime import datetime, timezone

    import sqlalchemy as sa

    now = datetime(2024, 5, 1, tzinfo=timezone.utc).replace(tzinfo=None)
    text_columns = {"title": "", "slug": "", "description": ""}

    def table(name, *columns):
        return sa.table(name, *(sa.column(column) for column in columns))

    connection.execute(table("categories", "id", "title_plural", "show_pypi", "created", "modified",
                             *text_columns).insert(), [{
        "id": 1, "title": "App", "slug": "apps", "description": "", "title_plural": "Apps", "show_pypi": True,
        "created": now, "modified": now}])
    package_columns = {"repo_url": "", "pypi_url": "", "documentation_url": "", "documentation_url_from_pypi": False,
                       "repo_description": "", "repo_watchers": 0, "repo_forks": 0, "participants": "[]",
                       "commits_over_52": "[]", "deprecation_note": "", "created": now, "modified": now,
                       "fetch_error": "", "fetch_error_count": 0, "score": 0.0, "usage_count": 0,
                       "stats_are_demo": False, "removed_reason": "", "revision": 1, "category_id": 1}
    connection.execute(table("packages", "id", "title", "slug", "pypi_version", *package_columns).insert(), [
        {"id": 1, "title": "two", "slug": "two", "pypi_version": "1.9", **package_columns},
        {"id": 2, "title": "yanked", "slug": "yanked", "pypi_version": "3.0", **package_columns}])
    version_columns = ("id", "package_id", "number", "license", "upload_time", "development_status",
                       "supports_python3", "requires_python", "hidden", "yanked", "created")
    releases = [(10, 1, "1.9", datetime(2024, 1, 10), False), (11, 1, "2.0b1", datetime(2024, 3, 1), False),
                (20, 2, "2.0", datetime(2023, 1, 1), False), (21, 2, "3.0", datetime(2024, 1, 1), True),
                (22, 2, "3.1rc1", datetime(2024, 2, 1), False)]
    connection.execute(table("versions", *version_columns).insert(), [
        {"id": ident, "package_id": package_id, "number": number, "license": "", "upload_time": uploaded,
         "development_status": "", "supports_python3": True, "requires_python": "", "hidden": False,
         "yanked": yanked, "created": now} for ident, package_id, number, uploaded, yanked in releases])
    connection.execute(table("grids", "id", "is_locked", "header", "created", "modified", "package_count",
                             "revision", *text_columns).insert(), [{
        "id": 1, "title": "G", "slug": "g", "description": "", "is_locked": False, "header": False,
        "created": now, "modified": now, "package_count": 1, "revision": 1}])
    connection.execute(table("grid_packages", "id", "grid_id", "package_id", "created").insert(), [
        {"id": 1, "grid_id": 1, "package_id": 1, "created": now}])


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_current_release_migration_fills_existing_packages_and_loses_no_row(empty_database_url):
    """Upgrading a database with data: each package gets its current release by the rule (PyPI's latest, or
    when that is yanked the newest final release), and copying the packages table on SQLite cascades nowhere."""
    from flask_migrate import downgrade, upgrade

    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with migrated.app_context():
        upgrade(revision="5e4b1f0c7a21")
        with db.engine.begin() as connection:
            _rows_before_current_release(connection)
        upgrade(revision="a3c9e2d41b07")
        with db.engine.connect() as connection:
            current = dict(connection.execute(text("SELECT id, current_release_id FROM packages")).all())
            counts = [connection.execute(text(f"SELECT count(*) FROM {name}")).scalar()
                      for name in ("categories", "packages", "versions", "grids", "grid_packages")]
            enforced = (connection.execute(text("PRAGMA foreign_keys")).scalar()
                        if connection.dialect.name == "sqlite" else 1)
        assert current == {1: 10, 2: 20}
        assert counts == [1, 2, 5, 1, 1]
        assert enforced == 1  # the app's setting is back once the migrations ran
        downgrade(revision="5e4b1f0c7a21")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM versions")).scalar() == 5
        downgrade(revision="base")
        db.engine.dispose()
