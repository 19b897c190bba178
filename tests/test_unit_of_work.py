"""One transaction per unit of work (issue 9, items 2 and 6).

Services flush and never commit; the request commits once (a response below 400) or rolls back (anything else);
CLI commands and jobs commit at their end; views never touch the database session. The shape rules are checked
by reading the source (every module, found by walking webapp/), the behaviour through HTTP.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import abort, flash
from sqlalchemy import func, select, text

import webapp
from tests.editing_support import fresh, html, post
from tests.factories import make_category, make_grid
from webapp import create_app
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage
from webapp.history.models import Change
from webapp.transaction import after_commit

PACKAGE_DIR = Path(webapp.__file__).parent

# The units of work, which alone may commit: the request hook, CLI commands and jobs.
MAY_COMMIT = {
    "transaction.py": "the request's commit-or-rollback hook, and commit() for commands and jobs",
    "fetch/jobs.py": "RQ jobs",
    # The importer is the body of `flask import-djangopackages`: it commits each page together with the state
    # file that lets an interrupted import resume, so a page is never imported twice or skipped.
    "importer/djangopackages.py": "the import job's per-page checkpoints",
}


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE_DIR).as_posix()


def _may_commit(path: Path) -> bool:
    return _relative(path) in MAY_COMMIT or path.name == "commands.py"


def _commit_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


def test_only_units_of_work_commit():
    offenders = {_relative(path): lines for path in sorted(PACKAGE_DIR.rglob("*.py"))
                 if not _may_commit(path) and (lines := _commit_calls(path))}
    assert offenders == {}, "services flush; the request, a CLI command or a job commits (webapp/transaction.py)"
    for allowed in MAY_COMMIT:  # the list names real modules, so it cannot quietly go stale
        assert (PACKAGE_DIR / allowed).is_file(), allowed


def _session_uses(path: Path) -> list[str]:
    """Where a module imports ``db`` or anything of SQLAlchemy, or touches a ``.session`` attribute."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module.split(".")[0] == "sqlalchemy" or "db" in names or "select" in names:
                found.append(f"line {node.lineno}: from {module} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.Attribute) and node.attr == "session":
            found.append(f"line {node.lineno}: .session")
    return found


def test_views_never_query_or_touch_the_session():
    views = sorted(PACKAGE_DIR.glob("*/views.py"))
    assert {path.parent.name for path in views} >= {"accounts", "api", "catalog", "fetch", "grids", "history",
                                                     "moderation", "search"}
    offenders = {_relative(path): uses for path in views if (uses := _session_uses(path))}
    assert offenders == {}, "views read through their domain's queries.py and write through its services.py"


def test_the_views_check_sees_what_it_forbids(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("from webapp.extensions import db\nfrom sqlalchemy import select\n"
                      "def view():\n    db.session.rollback()\n")
    assert len(_session_uses(sample)) == 3
    assert _commit_calls(tmp_path.joinpath("views.py")) == []
    sample.write_text("def view(session):\n    session.commit()\n")
    assert _commit_calls(sample) == [2]


# -- the request is the unit of work ------------------------------------------------------------------------------


@pytest.fixture
def probe_app(app):
    """A second app on the test database with routes that write and then answer in different ways."""
    probe = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "test-secret", "REDIS_URL": ""})
    probe.calls = []

    def add_category(slug: str) -> None:
        db.session.add(Category(title=slug, slug=slug, title_plural=slug))

    def seen_by_another_connection(slug: str) -> bool:
        with db.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Category).where(Category.slug == slug)) == 1

    @probe.get("/probe/ok/<slug>")
    def ok(slug):
        add_category(slug)
        db.session.flush()
        after_commit(lambda: probe.calls.append(("committed before me", seen_by_another_connection(slug))))
        flash("Saved.")
        return "saved"

    @probe.get("/probe/refused/<slug>")
    def refused(slug):
        add_category(slug)
        db.session.flush()
        after_commit(lambda: probe.calls.append("should not run"))
        abort(422, "refused after writing")

    @probe.get("/probe/collides/<slug>")
    def collides(slug):
        add_category(slug)  # not flushed: the unique slug is first checked by the commit at the end
        after_commit(lambda: probe.calls.append("should not run"))
        flash("Saved (but it will not be).")
        return "saved"

    yield probe
    with probe.app_context():
        db.engine.dispose()


def _slugs() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Category.slug)))


def test_a_successful_request_commits_once_then_runs_what_waited_for_the_commit(probe_app):
    response = probe_app.test_client().get("/probe/ok/kept")
    assert response.status_code == 200
    assert "kept" in _slugs()
    assert probe_app.calls == [("committed before me", True)]


def test_a_refused_request_commits_nothing_and_drops_what_waited(probe_app):
    response = probe_app.test_client().get("/probe/refused/dropped")
    assert response.status_code == 422
    assert "dropped" not in _slugs()
    assert probe_app.calls == []


def test_a_commit_the_database_refuses_is_a_409_page_not_a_500(probe_app):
    make_category("Taken", slug="taken")
    client = probe_app.test_client()
    response = client.get("/probe/collides/taken")
    assert response.status_code == 409
    assert "at the same moment" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"  # the other response hooks still ran on the 409
    assert probe_app.calls == []
    with client.session_transaction() as cookie:
        assert "_flashes" not in cookie  # "Saved" would announce what was rolled back


# -- several services, one transaction ------------------------------------------------------------------------------


@pytest.fixture
def refuse_grid_members():
    """Make the database refuse every new package-in-a-grid row, as a unique index refuses one a simultaneous
    request inserted first (a real constraint error, raised by the database, on SQLite and PostgreSQL)."""
    table = GridPackage.__tablename__
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(
                "CREATE OR REPLACE FUNCTION refuse_member() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'taken' USING ERRCODE = 'unique_violation'; END $$ LANGUAGE plpgsql"))
            connection.execute(text(f"CREATE TRIGGER refuse_member BEFORE INSERT ON {table} "
                                    "FOR EACH ROW EXECUTE FUNCTION refuse_member()"))
        else:
            connection.execute(text(f"CREATE TRIGGER refuse_member BEFORE INSERT ON {table} "
                                    "BEGIN SELECT RAISE(ABORT, 'taken'); END"))
    yield
    with db.engine.begin() as connection:
        connection.execute(text(f"DROP TRIGGER refuse_member ON {table}" if connection.dialect.name == "postgresql"
                                else "DROP TRIGGER refuse_member"))
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP FUNCTION refuse_member()"))


def _add_form(category: Category, **fields) -> dict:
    return {"title": "Fancy Widgets", "slug": "fancy-widgets", "category": category.id,
            "repo_url": "https://github.com/acme/fancy-widgets", "pypi_url": "", "documentation_url": "",
            "grid": "widgets", **fields}


def test_adding_a_package_into_a_grid_is_one_transaction(client, people, auth, refuse_grid_members):
    category = make_category("Apps")
    grid = make_grid("Widgets")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", _add_form(category))
    assert response.status_code == 409
    assert "already in this grid" in html(response)  # the form says why, with what was typed still in it
    assert 'value="fancy-widgets"' in html(response)
    # The package went in first; the grid refused it second: neither is stored, nor any history of them.
    assert db.session.scalar(select(func.count()).select_from(Package)) == 0
    assert db.session.scalar(select(func.count()).select_from(Change)) == 0
    assert fresh(Grid, grid.id).package_count == 0
    assert "Added Fancy Widgets" not in html(client.get("/packages/"))


def test_adding_a_package_into_a_grid_stores_both(client, people, auth):
    category = make_category("Apps")
    grid = make_grid("Widgets")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", _add_form(category))
    assert response.status_code == 302 and response.location == "/grids/g/widgets/"
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    assert db.session.scalar(select(GridPackage.package_id).where(GridPackage.grid_id == grid.id)) == package.id
    assert fresh(Grid, grid.id).package_count == 1


# -- Flask-SQLAlchemy's pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["abc", "-3", "0", "1.5", "99999999999999999999999"])
def test_page_numbers_out_of_range_show_a_page(client, page):
    from tests.factories import make_package

    for index in range(3):
        make_package(f"pkg-{index}")
    for path in ("/packages/", "/grids/"):
        assert client.get(f"{path}?page={page}").status_code == 200
    assert "pkg-0" in html(client.get(f"/packages/?sort=title&page={page}"))
