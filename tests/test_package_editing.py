"""Adding, editing, fetching and deleting packages over HTTP, with permissions, CSRF, history and XSS checks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.editing_support import a_package, fresh, html, live_markup, package_state, post, table_counts
from tests.factories import make_category, make_grid, make_package, make_user
from webapp.catalog.models import Flag, Package, Usage, Version
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.fetch.models import HttpCacheEntry
from webapp.grids.models import Element, Grid, GridPackage
from webapp.history import services as history
from webapp.history.models import Change


@pytest.fixture(autouse=True)
def _no_fetch_unless_asked(app, monkeypatch):
    """New packages are not fetched unless a test asks; a fetch gives up at once on the closed test port."""
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "off")
    monkeypatch.setitem(app.config, "FETCH_RETRIES", 0)


def add_form(**fields) -> dict:
    data = {"title": "Fancy Widgets", "slug": "fancy-widgets", "category": "", "repo_url":
            "https://github.com/acme/fancy-widgets", "pypi_url": "", "documentation_url": ""}
    data.update(fields)
    return data


def changes_of(package_id: int) -> list[Change]:
    db.session.expire_all()
    return list(db.session.scalars(select(Change).where(Change.package_id == package_id).order_by(Change.id)))


# -- adding: step 1 --------------------------------------------------------------------------------------------


def test_add_page_needs_sign_in(client):
    response = client.get("/packages/add/?source=flask")
    assert response.status_code == 302
    assert response.location.startswith("/accounts/login/?next=/packages/add/")
    response = post(client, "/packages/add/", add_form())
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert table_counts()["packages"] == 0


def test_add_step_one_shows_the_paste_form(client, people, auth):
    auth.sign_in(people.creator)
    response = client.get("/packages/add/")
    assert response.status_code == 200
    page = html(response)
    assert 'name="source"' in page and 'method="get"' in page
    assert 'aria-current="step">Find it' in page


@pytest.mark.parametrize("pasted, repo_url, slug", [
    ("https://github.com/Acme/Fancy-Widgets", "https://github.com/Acme/Fancy-Widgets", "fancy-widgets"),
    ("git@github.com:acme/fancy_widgets.git", "https://github.com/acme/fancy_widgets", "fancy-widgets"),
    ("https://www.gitlab.com/group/sub/tool/-/tree/main", "https://gitlab.com/group/sub/tool", "tool"),
    ("codeberg.org/someone/thing/", "https://codeberg.org/someone/thing", "thing"),
])
def test_add_step_one_reads_a_repository_url(client, people, pasted, repo_url, slug, auth):
    make_category("Apps")
    auth.sign_in(people.creator)
    response = client.get("/packages/add/", query_string={"source": pasted})
    assert response.status_code == 200
    page = html(response)
    assert 'aria-current="step">Check the details' in page
    assert f'value="{repo_url}"' in page
    assert 'id="slug" maxlength="100"' in page and f'value="{slug}"' in page
    assert 'name="csrf_token"' in page and 'method="post"' in page


@pytest.mark.parametrize("pasted, name", [
    ("django-invitations", "django-invitations"),
    ("https://pypi.org/project/Django_Foo/", "Django_Foo"),
    ("zope.interface", "zope.interface"),
])
def test_add_step_one_reads_a_pypi_name(client, people, pasted, name, auth):
    make_category("Apps")
    auth.sign_in(people.creator)
    page = html(client.get("/packages/add/", query_string={"source": pasted}))
    assert f'value="https://pypi.org/project/{name}"' in page
    assert f'value="{name}"' in page  # the title


@pytest.mark.parametrize("pasted, message", [
    ("", "Paste a repository URL or type a PyPI project name."),
    ("   ", "Paste a repository URL or type a PyPI project name."),
    ("not a package at all", "neither a repository URL"),
    ("javascript:alert(1)", "neither a repository URL"),
    ("x" * 501, "500"),
])
def test_add_step_one_explains_what_it_cannot_read(client, people, pasted, message, auth):
    auth.sign_in(people.creator)
    response = client.get("/packages/add/", query_string={"source": pasted})
    assert response.status_code == 422
    page = html(response)
    assert 'id="source-error"' in page and message in page


def test_add_step_one_finds_a_package_already_listed_by_repository_in_any_case(client, people, auth):
    existing = a_package(title="fancy", slug="fancy", repo_url="https://github.com/acme/fancy-widgets")
    auth.sign_in(people.creator)
    response = client.get("/packages/add/", query_string={"source": "https://github.com/ACME/Fancy-Widgets.git"})
    assert response.status_code == 200
    page = html(response)
    assert "Already listed:" in page
    assert f'href="/packages/p/{existing.slug}/"' in page
    assert 'name="title"' not in page  # no form to create a duplicate
    assert "Add it with another slug" not in page


def test_add_step_one_finds_a_package_already_listed_by_pypi_project_or_slug(client, people, auth):
    a_package(title="django-invitations", slug="django-invitations",
              pypi_url="https://pypi.org/project/django-invitations")
    auth.sign_in(people.creator)
    page = html(client.get("/packages/add/?source=https://pypi.org/project/Django-Invitations/"))
    assert "Already listed:" in page and 'href="/packages/p/django-invitations/"' in page

    # Same slug, other repository: maybe another project with the same name, so it can go on with another slug.
    page = html(client.get("/packages/add/?source=https://gitlab.com/other/django-invitations"))
    assert "Already listed:" in page and "Add it with another slug" in page
    page = html(client.get("/packages/add/?source=https://gitlab.com/other/django-invitations&different=1"))
    assert 'name="title"' in page and 'value="https://gitlab.com/other/django-invitations"' in page


# -- adding: step 2 --------------------------------------------------------------------------------------------


def test_add_creates_the_package_with_history_and_fetches_it(app, client, people, monkeypatch, auth):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "sync")
    category = make_category("Apps")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", add_form(category=category.id,
                                                      repo_url="https://github.com/Acme/Fancy-Widgets.git/",
                                                      pypi_url="https://pypi.org/project/fancy_widgets/",
                                                      documentation_url="https://fancy.readthedocs.io/"))
    assert response.status_code == 302
    assert response.location == "/packages/p/fancy-widgets/"
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    assert package.title == "Fancy Widgets" and package.category_id == category.id
    assert package.repo_url == "https://github.com/Acme/Fancy-Widgets"
    assert package.pypi_url == "https://pypi.org/project/fancy_widgets"
    assert package.documentation_url == "https://fancy.readthedocs.io/"
    assert package.created_by_id == people.creator.id and package.revision == 1
    # The fetch ran (the remote hosts are a closed port in tests, so it recorded an error).
    assert package.fetch_error and package.fetch_error_count == 1
    [change] = changes_of(package.id)
    assert (change.action, change.object_type, change.user_id) == ("create", "package", people.creator.id)
    page = html(client.get(response.location))
    assert "Added Fancy Widgets." in page
    assert "Fetch problem" in page


def test_add_in_the_background_does_not_wait_for_the_fetch(app, client, people, monkeypatch, auth):
    monkeypatch.setitem(app.config, "FETCH_NEW_PACKAGES", "auto")
    category = make_category("Apps")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", add_form(category=category.id))
    assert response.status_code == 302
    package_id = db.session.scalar(select(Package.id).where(Package.slug == "fancy-widgets"))
    [worker] = [thread for thread in threading.enumerate() if thread.name == f"fetch-new-{package_id}"] or [None]
    if worker is not None:
        worker.join(timeout=30)
        assert not worker.is_alive()
    assert fresh(Package, package_id).fetch_error  # the background fetch ran and recorded its failure


def test_add_without_fetch_leaves_fetch_now_to_people(client, people, auth):
    category = make_category("Apps")
    auth.sign_in(people.creator)
    post(client, "/packages/add/", add_form(category=category.id))
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    assert package.last_fetched is None and not package.fetch_error
    assert "Fetch now" in html(client.get("/packages/p/fancy-widgets/"))


@pytest.mark.parametrize("fields, field, message", [
    ({"title": ""}, "title", "Give the package a title."),
    ({"title": "x" * 101}, "title", "100"),
    ({"slug": "Fancy Widgets"}, "slug", "lowercase letters, digits and single hyphens"),
    ({"slug": "fancy--widgets"}, "slug", "single hyphens"),
    ({"slug": "-fancy"}, "slug", "single hyphens"),
    ({"slug": "p"}, "slug", "reserved"),
    ({"slug": "über"}, "slug", "lowercase letters"),
    ({"category": "999"}, "category", "Not a valid choice"),
    ({"category": "abc"}, "category", ""),
    ({"repo_url": "javascript:alert(1)"}, "repo_url", "Only http:// and https://"),
    ({"repo_url": "JaVaScRiPt:alert(1)//https://github.com/a/b"}, "repo_url", "Only http:// and https://"),
    ({"repo_url": "data:text/html,<script>alert(1)</script>"}, "repo_url", ""),
    ({"repo_url": "ftp://github.com/a/b"}, "repo_url", "Only http:// and https://"),
    ({"repo_url": "https://"}, "repo_url", "full web address"),
    ({"repo_url": "https://user:pw@github.com/a/b"}, "repo_url", "full web address"),
    ({"repo_url": "https://github.com/a/b\" onmouseover=\"alert(1)"}, "repo_url", ""),
    ({"documentation_url": "//evil.example/x"}, "documentation_url", "Only http:// and https://"),
    ({"documentation_url": "https://docs.example.org/" + "a" * 500}, "documentation_url", "500"),
    ({"pypi_url": "https://example.org/project/x"}, "pypi_url", "PyPI page"),
    ({"repo_url": "", "pypi_url": ""}, "repo_url", "Give a repository URL or a PyPI URL"),
])
def test_add_refuses_bad_input_with_form_errors(client, people, fields, field, message, auth):
    category = make_category("Apps")
    auth.sign_in(people.creator)
    data = add_form(category=category.id)
    data.update(fields)
    response = post(client, "/packages/add/", data)
    assert response.status_code == 422
    page = html(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert table_counts()["packages"] == 0


def test_add_refuses_a_duplicate_repository_or_slug_and_links_to_it(client, people, auth):
    category = make_category("Apps")
    a_package(title="original", slug="original", repo_url="https://github.com/acme/fancy-widgets")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", add_form(category=category.id,
                                                      repo_url="https://GitHub.com/ACME/fancy-widgets"))
    assert response.status_code == 422
    page = html(response)
    assert "This repository is already listed." in page and 'href="/packages/p/original/"' in page
    response = post(client, "/packages/add/", add_form(category=category.id, slug="original",
                                                      repo_url="https://github.com/acme/other"))
    assert response.status_code == 422 and "Another package already uses this slug." in html(response)
    assert table_counts()["packages"] == 1


def test_add_straight_into_a_grid(client, people, auth):
    category = make_category("Apps")
    grid = make_grid("Widgets")
    auth.sign_in(people.creator)
    page = html(client.get("/packages/add/?grid=widgets&source=https://github.com/acme/fancy-widgets"))
    assert 'name="grid" type="hidden" value="widgets"' in page and "It will also be added to the grid" in page
    response = post(client, "/packages/add/", add_form(category=category.id, grid="widgets"))
    assert response.status_code == 302 and response.location == "/grids/g/widgets/"
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    member = db.session.scalar(select(GridPackage).where(GridPackage.grid_id == grid.id))
    assert member.package_id == package.id and member.added_by_id == people.creator.id
    assert fresh(Grid, grid.id).package_count == 1
    grid_changes = list(db.session.scalars(select(Change).where(Change.grid_id == grid.id)))
    assert [(c.action, c.object_type, c.package_id) for c in grid_changes] == [("create", "grid_package", package.id)]


def test_add_into_a_locked_grid_adds_the_package_only(client, other_client, people, auth):
    category = make_category("Apps")
    grid = make_grid("Locked", is_locked=True)
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", add_form(category=category.id, grid="locked"))
    assert response.status_code == 302 and response.location == "/packages/p/fancy-widgets/"
    assert "is locked" in html(client.get(response.location))
    assert table_counts()["grid_packages"] == 0

    auth(other_client).sign_in(people.staff)
    response = post(other_client, "/packages/add/", add_form(category=category.id, grid="locked", slug="other",
                                                            repo_url="https://github.com/acme/other"))
    assert response.location == "/grids/g/locked/"
    assert fresh(Grid, grid.id).package_count == 1


def test_add_with_an_unknown_grid_just_adds_the_package(client, people, auth):
    category = make_category("Apps")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", add_form(category=category.id, grid="no-such-grid"))
    assert response.location == "/packages/p/fancy-widgets/"


# -- editing ---------------------------------------------------------------------------------------------------


def edit_form(package: Package, **fields) -> dict:
    data = {"title": package.title, "slug": package.slug, "category": package.category_id,
            "repo_url": package.repo_url, "pypi_url": package.pypi_url or "",
            "documentation_url": package.documentation_url or "", "revision": package.revision,
            "package_id": package.id}
    data.update(fields)
    return data


def test_edit_needs_sign_in(client):
    package = a_package()
    response = client.get(f"/packages/{package.slug}/edit/")
    assert response.status_code == 302 and response.location.startswith("/accounts/login/?next=/packages/widget/edit/")
    response = post(client, f"/packages/{package.slug}/edit/", edit_form(package, title="Hacked"))
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert fresh(Package, package.id).title == "widget"


def test_edit_form_carries_the_revision(client, people, auth):
    package = a_package(revision=7)
    auth.sign_in(people.other)
    response = client.get("/packages/widget/edit/")
    assert response.status_code == 200
    page = html(response)
    assert 'name="revision" type="hidden" value="7"' in page
    assert f'value="{package.repo_url}"' in page
    assert f'<option selected value="{package.category_id}">' in page


def test_edit_saves_records_each_field_and_bumps_the_revision(client, people, auth):
    package = a_package(documentation_url="https://old.example.org/", documentation_url_from_pypi=True)
    auth.sign_in(people.other)
    response = post(client, "/packages/widget/edit/", edit_form(
        package, title="Widget Pro", slug="widget-pro", documentation_url="https://docs.example.org/"))
    assert response.status_code == 302 and response.location == "/packages/p/widget-pro/"
    package = fresh(Package, package.id)
    assert (package.title, package.slug, package.revision) == ("Widget Pro", "widget-pro", 2)
    assert package.last_modified_by_id == people.other.id
    assert package.documentation_url_from_pypi is False
    changes = changes_of(package.id)
    assert sorted((c.field, c.old_value, c.new_value) for c in changes) == [
        ("documentation_url", "https://old.example.org/", "https://docs.example.org/"),
        ("slug", "widget", "widget-pro"),
        ("title", "widget", "Widget Pro"),
    ]
    assert {c.user_id for c in changes} == {people.other.id}
    assert "Saved Widget Pro." in html(client.get("/packages/p/widget-pro/"))


def test_an_older_style_slug_may_stay_but_not_be_chosen(client, people, auth):
    package = a_package(slug="django_widget.old")
    auth.sign_in(people.other)
    response = post(client, "/packages/django_widget.old/edit/", edit_form(package, title="Widget"))
    assert response.status_code == 302 and fresh(Package, package.id).title == "Widget"
    response = post(client, "/packages/django_widget.old/edit/", edit_form(fresh(Package, package.id),
                                                                        slug="other_style"))
    assert response.status_code == 422 and "single hyphens" in html(response)


def test_saving_without_changes_records_nothing(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    response = post(client, "/packages/widget/edit/", edit_form(package))
    assert response.status_code == 302
    assert fresh(Package, package.id).revision == 1 and changes_of(package.id) == []


def test_a_stale_save_is_refused_with_both_versions_side_by_side(client, other_client, people, auth):
    package = a_package(title="Widget")
    auth.sign_in(people.creator)
    auth(other_client).sign_in(people.other)
    mine = edit_form(package, title="Widget (mine)")
    theirs = edit_form(package, title="Widget (theirs)", documentation_url="https://theirs.example.org/")
    assert post(other_client, "/packages/widget/edit/", theirs).status_code == 302

    response = post(client, "/packages/widget/edit/", mine)
    assert response.status_code == 409
    page = html(response)
    assert "Someone saved this package while you were editing it" in page
    assert "Nothing was overwritten" in page
    assert '<td class="mine">Widget (mine)</td>' in page
    assert '<td class="theirs">Widget (theirs)</td>' in page
    assert '<td class="theirs">https://theirs.example.org/</td>' in page
    assert 'name="revision" type="hidden" value="2"' in page  # saving again is an explicit merge
    assert 'value="Widget (mine)"' in page  # the editor's work is kept in the form
    current = fresh(Package, package.id)
    assert (current.title, current.revision) == ("Widget (theirs)", 2)

    merged = edit_form(current, title="Widget (merged)")
    assert post(client, "/packages/widget/edit/", merged).status_code == 302
    assert fresh(Package, package.id).title == "Widget (merged)"


def test_a_save_without_a_revision_is_treated_as_stale(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    data = edit_form(package, title="No revision")
    del data["revision"]
    assert post(client, "/packages/widget/edit/", data).status_code == 409
    assert fresh(Package, package.id).title == "widget"


def test_a_rename_during_an_edit_still_shows_the_conflict(client, other_client, people, auth):
    package = a_package()
    auth.sign_in(people.creator)
    auth(other_client).sign_in(people.other)
    mine = edit_form(package, title="Mine")  # loaded before the other person saves
    post(other_client, "/packages/widget/edit/", edit_form(package, slug="renamed"))
    response = post(client, "/packages/widget/edit/", mine)
    assert response.status_code == 409
    assert '<td class="theirs">renamed</td>' in html(response)


def test_edit_refuses_bad_input_and_duplicates(client, people, auth):
    a_package(title="taken", slug="taken", repo_url="https://github.com/acme/taken")
    package = a_package()
    auth.sign_in(people.other)
    response = post(client, "/packages/widget/edit/", edit_form(package, slug="taken"))
    assert response.status_code == 422 and "Another package already uses this slug." in html(response)
    response = post(client, "/packages/widget/edit/", edit_form(package, repo_url="https://github.com/ACME/taken"))
    assert response.status_code == 422 and "This repository is already listed." in html(response)
    response = post(client, "/packages/widget/edit/", edit_form(package, documentation_url="javascript:alert(1)"))
    assert response.status_code == 422 and 'id="documentation_url-error"' in html(response)
    assert package_state(package.id)[:4] == ("widget", "widget", package.repo_url, 1)


def test_only_staff_edit_a_removed_package(client, other_client, people, auth):
    package = a_package(removed_at=utcnow(), removed_reason="spam")
    auth.sign_in(people.other)
    assert client.get("/packages/widget/edit/").status_code == 403
    assert post(client, "/packages/widget/edit/", edit_form(package, title="Back")).status_code == 403
    auth(other_client).sign_in(people.staff)
    assert other_client.get("/packages/widget/edit/").status_code == 200
    assert post(other_client, "/packages/widget/edit/", edit_form(package, title="Back")).status_code == 302


def test_edit_unknown_package_is_404(client, people, auth):
    auth.sign_in(people.other)
    assert client.get("/packages/nope/edit/").status_code == 404


# -- fetch now -------------------------------------------------------------------------------------------------


def test_fetch_now_needs_sign_in_and_post(client):
    package = a_package()
    response = post(client, "/packages/widget/fetch/")
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert client.get("/packages/widget/fetch/").status_code == 405
    assert fresh(Package, package.id).fetch_error == ""


def test_fetch_now_runs_the_fetch_and_reports_its_outcome(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    response = post(client, "/packages/widget/fetch/")
    assert response.status_code == 302 and response.location == "/packages/p/widget/"
    package = fresh(Package, package.id)
    assert package.fetch_error and package.fetch_error_count == 1
    page = html(client.get("/packages/p/widget/"))
    assert "The fetch failed:" in page


def test_fetch_now_without_addresses_says_there_is_nothing_to_fetch(client, people, auth):
    a_package(repo_url="", pypi_url="")
    auth.sign_in(people.other)
    post(client, "/packages/widget/fetch/")
    assert "There is nothing to fetch" in html(client.get("/packages/p/widget/"))


# -- deleting --------------------------------------------------------------------------------------------------


def test_delete_needs_sign_in(client):
    a_package()
    assert client.get("/packages/widget/delete/").status_code == 302
    assert post(client, "/packages/widget/delete/").status_code == 302
    assert table_counts()["packages"] == 1


def test_the_creator_deletes_a_fresh_package_nobody_else_uses(client, people, auth):
    package = a_package(created_by_id=people.creator.id)
    package_id = package.id
    db.session.add(Usage(user_id=people.creator.id, package_id=package_id))
    db.session.commit()
    auth.sign_in(people.creator)
    assert 'href="/packages/widget/delete/"' in html(client.get("/packages/p/widget/"))
    response = client.get("/packages/widget/delete/")
    assert response.status_code == 200 and "Delete widget?" in html(response)
    assert table_counts()["packages"] == 1  # the confirm page deletes nothing

    response = post(client, "/packages/widget/delete/")
    assert response.status_code == 302 and response.location == "/packages/"
    assert fresh(Package, package_id) is None
    [change] = db.session.scalars(select(Change).where(Change.action == "delete"))
    assert (change.object_type, change.object_id, change.user_id) == ("package", package_id, people.creator.id)
    assert "Deleted widget" in change.summary
    assert client.get("/packages/p/widget/").status_code == 404


@pytest.mark.parametrize("situation", ["old", "used by another", "gridded by another", "not the creator"])
def test_others_cannot_delete(client, people, situation, auth):
    package = a_package(created_by_id=people.creator.id)
    who = people.creator
    if situation == "old":
        package.created = utcnow() - timedelta(hours=25)
    elif situation == "used by another":
        db.session.add(Usage(user_id=people.other.id, package_id=package.id))
    elif situation == "gridded by another":
        grid = make_grid("Some grid")
        db.session.add(GridPackage(grid_id=grid.id, package_id=package.id, added_by_id=people.other.id))
    else:
        who = people.other
    db.session.commit()
    auth.sign_in(who)
    assert 'href="/packages/widget/delete/"' not in html(client.get("/packages/p/widget/"))
    assert client.get("/packages/widget/delete/").status_code == 403
    assert post(client, "/packages/widget/delete/").status_code == 403
    assert fresh(Package, package.id) is not None


def test_staff_delete_any_package_and_its_grids_lose_the_column(client, people, auth):
    package = a_package(created_by_id=people.creator.id)
    package_id = package.id
    keep = a_package(title="keep", slug="keep", repo_url="https://github.com/acme/keep")
    grid = make_grid("Widgets", packages=[package, keep], features=2)
    db.session.add_all([
        Usage(user_id=people.other.id, package_id=package.id),
        Flag(user_id=people.other.id, package_id=package.id, reason="spam"),
        HttpCacheEntry(package_id=package.id, url="https://api.github.com/repos/acme/widget", etag='"x"'),
    ])
    db.session.commit()
    auth.sign_in(people.staff)
    assert post(client, "/packages/widget/delete/").status_code == 302
    assert fresh(Package, package_id) is None
    for model in (Usage, Flag, HttpCacheEntry, Version):
        assert db.session.scalar(select(model).where(model.package_id == package_id)) is None, model
    assert db.session.scalar(select(func.count()).select_from(Element)) == 2  # keep's cells stay
    grid = fresh(Grid, grid.id)
    assert grid.package_count == 1
    assert [member.package_id for member in grid.grid_packages] == [keep.id]
    grid_changes = list(db.session.scalars(select(Change).where(Change.grid_id == grid.id)))
    assert [(c.action, c.object_type) for c in grid_changes] == [("delete", "grid_package")]
    page = html(client.get("/grids/g/widgets/history/"))
    assert "widget was deleted, so it left Widgets" in page


# -- GET changes nothing; POST needs its CSRF token ------------------------------------------------------------


def test_no_get_changes_anything(client, people, auth):
    package = a_package(created_by_id=people.creator.id)
    make_grid("Widgets", packages=[package])
    auth.sign_in(people.staff)
    before = table_counts(), package_state(package.id)
    for path in ("/packages/add/", "/packages/add/?source=https://github.com/acme/new&grid=widgets",
                 "/packages/widget/edit/", "/packages/widget/delete/", "/packages/p/widget/",
                 "/packages/p/widget/flag/", "/packages/p/widget/history/", "/grids/g/widgets/history/",
                 "/moderation/"):
        assert client.get(path).status_code == 200, path
    for path in ("/packages/widget/fetch/", "/packages/p/widget/usage/", "/history/1/revert/",
                 "/moderation/flags/1/approve/", "/moderation/flags/1/dismiss/"):
        assert client.get(path).status_code == 405, path
    assert (table_counts(), package_state(package.id)) == before


def test_posts_without_a_csrf_token_are_refused(client, people, auth):
    category = make_category("Apps")
    package = a_package(created_by_id=people.creator.id)
    auth.sign_in(people.staff)
    before = table_counts(), package_state(package.id)
    for path, data in (
        ("/packages/add/", add_form(category=category.id)),
        ("/packages/widget/edit/", edit_form(package, title="x")),
        ("/packages/widget/fetch/", {}),
        ("/packages/widget/delete/", {}),
        ("/packages/p/widget/usage/", {"use": "1"}),
        ("/packages/p/widget/flag/", {"reason": "spam"}),
    ):
        response = post(client, path, data, csrf=False)
        assert response.status_code == 400, path
        assert "security token" in html(response)
        response = post(client, path, data, csrf=False, htmx=True)
        assert response.status_code == 400, path
    assert (table_counts(), package_state(package.id)) == before


# -- XSS -------------------------------------------------------------------------------------------------------

XSS_TEXT = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "<svg onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "[click](javascript:alert(1))",
    "</title><script>alert(1)</script>",
    "{{ 7*7 }}<body onload=alert(1)>",
]
XSS_URLS = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "https://x.example/\" onmouseover=\"alert(1)",
    "https://x.example/'><script>alert(1)</script>",
    "//evil.example/",
]


@pytest.mark.parametrize("payload", XSS_TEXT)
def test_xss_in_a_title_is_shown_as_text_everywhere(client, people, payload, auth):
    category = make_category("Apps")
    grid = make_grid("Widgets")
    auth.sign_in(people.creator)
    response = post(client, "/packages/add/", add_form(category=category.id, title=payload, grid=grid.slug))
    assert response.status_code == 302, html(response)
    package = db.session.scalar(select(Package).where(Package.slug == "fancy-widgets"))
    assert package.title == payload
    post(client, "/packages/fancy-widgets/edit/", edit_form(package, title=payload + " v2"))
    post(client, "/packages/p/fancy-widgets/flag/", {"reason": payload})
    staff = type(client)(client.application, client.application.response_class, use_cookies=True)
    auth(staff).sign_in(people.staff)
    pages = {
        "detail": client.get("/packages/p/fancy-widgets/"),
        "list": client.get("/packages/"),
        "home": client.get("/"),
        "edit": client.get("/packages/fancy-widgets/edit/"),
        "delete": client.get("/packages/fancy-widgets/delete/"),
        "flag": client.get("/packages/p/fancy-widgets/flag/"),
        "history": client.get("/packages/p/fancy-widgets/history/"),
        "grid history": client.get("/grids/g/widgets/history/"),
        "grid": client.get("/grids/g/widgets/"),
        "moderation": staff.get("/moderation/"),
        "staff history": staff.get("/packages/p/fancy-widgets/history/"),
        "usage partial": post(client, "/packages/p/fancy-widgets/usage/", {"use": "1", "stat": "1"}, htmx=True),
        "flag partial": post(client, "/packages/p/fancy-widgets/flag/", {"reason": payload}, htmx=True),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert live_markup(html(response)) == [], name

    post(staff, f"/moderation/flags/{1}/approve/", {"reason": payload})
    page = html(client.get("/packages/p/fancy-widgets/"))
    assert "Removed from lists and grids" in page
    assert live_markup(page) == []


@pytest.mark.parametrize("payload", XSS_URLS)
def test_xss_urls_are_refused_in_every_url_field(client, people, payload, auth):
    category = make_category("Apps")
    package = a_package()
    auth.sign_in(people.creator)
    for field in ("repo_url", "pypi_url", "documentation_url"):
        response = post(client, "/packages/add/", add_form(category=category.id, **{field: payload}))
        assert response.status_code == 422, (field, payload)
        assert f'id="{field}-error"' in html(response)
        assert live_markup(html(response)) == []
        response = post(client, "/packages/widget/edit/", edit_form(package, **{field: payload}))
        assert response.status_code == 422, (field, payload)
        assert live_markup(html(response)) == []
    assert table_counts()["packages"] == 1
    assert package_state(package.id)[2:4] == (package.repo_url, 1)


def test_stored_bad_urls_and_fetched_text_are_never_live(client, people, auth):
    """Defence in depth: data that did not come through the forms (an import, a fetch) is not trusted either."""
    package = a_package(repo_url="javascript:alert(1)", documentation_url="data:text/html,<script>x</script>",
                        pypi_url="JavaScript:alert(2)", repo_description="<img src=x onerror=alert(1)>",
                        removed_at=None)
    make_grid("Widgets", packages=[package])
    auth.sign_in(people.other)
    for path in ("/packages/p/widget/", "/packages/", "/", "/packages/widget/edit/"):
        page = html(client.get(path))
        assert live_markup(page) == [], path
    assert "&lt;img src=x onerror=alert(1)&gt;" in html(client.get("/packages/p/widget/"))


def test_live_markup_detector_catches_live_markup():
    """The XSS assertions above can fail: the detector sees what a browser would run."""
    for markup in ('<script>alert(1)</script>', '<img src=x onerror="alert(1)">', '<a href=" JaVa\tscript:x">',
                   '<iframe src="/"></iframe>', '<div style="background:url(javascript:x)">',
                   '<svg onload="x">', '<form action="javascript:x">'):
        assert live_markup(markup), markup
    assert live_markup('<script src="/static/js/site.js" defer></script><a href="/x">ok</a>') == []


# -- query counts ----------------------------------------------------------------------------------------------


def test_edit_page_and_signed_in_package_page_query_counts_do_not_grow(client, people, count_queries, auth):
    category = make_category("Apps")
    package = make_package("widget", category=category, created_by_id=people.creator.id)
    auth.sign_in(people.creator)
    counts = []
    for extra in (0, 25):
        for index in range(extra):
            make_category(f"More {index}")
            user = make_user()
            db.session.add(Usage(user_id=user.id, package_id=package.id))
        db.session.commit()
        row = {}
        for path in ("/packages/widget/edit/", "/packages/p/widget/"):
            client.get(path)
            with count_queries() as counter:
                client.get(path)
            row[path] = counter.count
        counts.append(row)
    assert counts[0] == counts[1]
    # user + package + categories on the edit page, and the site banner
    assert counts[0]["/packages/widget/edit/"] == 4


# -- the permission matrix, endpoint by endpoint ----------------------------------------------------------------

LOGIN = "login"  # a redirect (or HTMX 401) to the sign-in page
MATRIX = [
    # method, path, data, htmx, {role: expected status}
    ("GET", "/packages/add/", None, False, {"anonymous": LOGIN, "signed-in": 200, "owner": 200, "staff": 200}),
    ("GET", "/packages/widget/edit/", None, False, {"anonymous": LOGIN, "signed-in": 200, "owner": 200, "staff": 200}),
    ("POST", "/packages/widget/edit/", "edit", False, {"anonymous": LOGIN, "signed-in": 302, "owner": 302,
                                                       "staff": 302}),
    ("POST", "/packages/widget/fetch/", {}, False, {"anonymous": LOGIN, "signed-in": 302, "owner": 302,
                                                    "staff": 302}),
    ("GET", "/packages/widget/delete/", None, False, {"anonymous": LOGIN, "signed-in": 403, "owner": 200,
                                                      "staff": 200}),
    ("POST", "/packages/p/widget/usage/", {"use": "1"}, True, {"anonymous": 401, "signed-in": 200, "owner": 200,
                                                               "staff": 200}),
    ("GET", "/packages/p/widget/flag/", None, False, {"anonymous": LOGIN, "signed-in": 200, "owner": 200,
                                                      "staff": 200}),
    ("GET", "/packages/p/widget/history/", None, False, {"anonymous": 200, "signed-in": 200, "owner": 200,
                                                         "staff": 200}),
    ("GET", "/moderation/", None, False, {"anonymous": LOGIN, "signed-in": 403, "owner": 403, "staff": 200}),
    ("POST", "/history/{change}/revert/", {}, False, {"anonymous": LOGIN, "signed-in": 403, "owner": 403,
                                                      "staff": 302}),
    ("POST", "/moderation/flags/{flag}/dismiss/", {}, False, {"anonymous": LOGIN, "signed-in": 403, "owner": 403,
                                                              "staff": 302}),
]


@pytest.mark.parametrize("role", ["anonymous", "signed-in", "owner", "staff"])
def test_permission_matrix(client, people, role, auth):
    package = a_package(created_by_id=people.creator.id)
    [change] = history.apply_changes(package, people.other, {"title": "widget 2"})
    flag = Flag(user_id=people.other.id, package_id=package.id, reason="spam")
    db.session.add(flag)
    db.session.commit()
    user = {"anonymous": None, "signed-in": people.other, "owner": people.creator, "staff": people.staff}[role]
    if user is not None:
        auth.sign_in(user)
    for method, path, data, htmx, expected in MATRIX:
        path = path.format(change=change.id, flag=flag.id)
        if method == "GET":
            response = client.get(path)
        else:
            if data == "edit":
                data = edit_form(fresh(Package, package.id))
            response = post(client, path, data, htmx=htmx)
        want = expected[role]
        if want == LOGIN:
            assert response.status_code == 302, (method, path)
            assert response.location.startswith("/accounts/login/"), (method, path)
        else:
            assert response.status_code == want, (method, path, role)
            if want == 302:
                assert not response.location.startswith("/accounts/login/"), (method, path)
