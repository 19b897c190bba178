"""Marking a package deprecated or unmaintained: who may, the replacement picker, the history and its revert,
stale edits, and where the mark shows (lists, grids, search, the API, the score)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.editing_support import fresh, html, post
from tests.factories import make_grid, make_package
from webapp.catalog.models import DeprecationStatus, Package
from webapp.extensions import db
from webapp.history.models import Change


@pytest.fixture
def packages(people):
    """carol's package django-old, and django-new to replace it."""
    old = make_package("django-old", created_by_id=people.creator.id, repo_watchers=500)
    new = make_package("django-new", repo_watchers=5)
    return old, new


def mark(client, *, status="deprecated", reason="The authors moved on.", replaced_by="django-new",
         revision=None, slug="django-old", **extra):
    revision = revision if revision is not None else fresh(Package, db.session.scalar(
        select(Package.id).where(Package.slug == slug))).revision
    return post(client, f"/packages/{slug}/deprecation/", {"status": status, "reason": reason,
                                                           "replaced_by": replaced_by, "revision": revision,
                                                           "action": "mark", **extra})


def state(package_id: int) -> tuple:
    package = fresh(Package, package_id)
    return package.deprecation_status, package.deprecation_note, package.deprecated_by_id


# -- who may ---------------------------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, packages):
    old, _new = packages
    response = client.get("/packages/django-old/deprecation/")
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    response = mark(client)
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert state(old.id) == (None, "", None)


def test_someone_else_gets_403(client, people, auth, packages):
    old, _new = packages
    auth.sign_in(people.other)
    assert client.get("/packages/django-old/deprecation/").status_code == 403
    assert mark(client).status_code == 403
    assert state(old.id) == (None, "", None)
    # Nor does the package page offer it.
    assert "/packages/django-old/deprecation/" not in html(client.get("/packages/p/django-old/"))


def test_without_csrf_token_nothing_changes(client, people, auth, packages):
    old, _new = packages
    auth.sign_in(people.creator)
    response = post(client, "/packages/django-old/deprecation/", {"status": "deprecated", "reason": "x",
                                                                  "revision": old.revision}, csrf=False)
    assert response.status_code == 400
    assert state(old.id) == (None, "", None)


@pytest.mark.parametrize("who", ["creator", "staff"])
def test_the_creator_or_staff_mark_it_with_a_replacement(client, people, auth, packages, who):
    old, new = packages
    auth.sign_in(getattr(people, who))
    page = html(client.get("/packages/p/django-old/"))
    assert 'href="/packages/django-old/deprecation/"' in page
    form = html(client.get("/packages/django-old/deprecation/"))
    assert 'name="replaced_by"' in form and 'list="replacement-options"' in form

    response = mark(client)
    assert response.status_code == 302 and response.location == "/packages/p/django-old/"
    assert state(old.id) == (DeprecationStatus.DEPRECATED, "The authors moved on.", new.id)
    package = fresh(Package, old.id)
    assert package.date_deprecated is not None and package.deprecated_by_user_id == getattr(people, who).id
    page = html(client.get("/packages/p/django-old/"))
    assert 'id="deprecation-notice"' in page and "Deprecated</strong> since" in page
    assert 'Use <a href="/packages/p/django-new/">django-new</a> instead.' in page
    assert "The authors moved on." in page


def test_the_picker_offers_matching_packages_but_not_itself(client, people, auth, packages):
    auth.sign_in(people.creator)
    response = client.get("/packages/django-old/deprecation/?replaced_by=django",
                          headers={"HX-Request": "true", "HX-Target": "replacement-options"})
    assert response.status_code == 200
    body = html(response)
    assert body.startswith('<datalist id="replacement-options">')
    assert '<option value="django-new">django-new</option>' in body
    assert 'value="django-old"' not in body


@pytest.mark.parametrize("replaced_by, message", [("no-such-package", "No package named"),
                                                  ("django-old", "cannot replace itself")])
def test_the_replacement_must_exist_and_not_be_itself(client, people, auth, packages, replaced_by, message):
    old, _new = packages
    auth.sign_in(people.creator)
    response = mark(client, replaced_by=replaced_by)
    assert response.status_code == 422
    assert message in html(response)
    assert state(old.id) == (None, "", None)


def test_a_reason_and_a_known_status_are_required(client, people, auth, packages):
    old, _new = packages
    auth.sign_in(people.creator)
    assert mark(client, reason="").status_code == 422
    assert mark(client, status="abandoned").status_code == 422
    assert state(old.id) == (None, "", None)


def test_a_stale_edit_is_refused_with_409(client, other_client, people, auth, packages):
    old, new = packages
    auth.sign_in(people.creator)
    auth(other_client).sign_in(people.staff)
    loaded = fresh(Package, old.id).revision
    assert mark(other_client, reason="Staff say so.", replaced_by="", revision=loaded).status_code == 302
    response = mark(client, revision=loaded)
    assert response.status_code == 409
    assert "Someone changed this package while you were editing it" in html(response)
    assert state(old.id) == (DeprecationStatus.DEPRECATED, "Staff say so.", None)


# -- history and revert ----------------------------------------------------------------------------------------


def test_marking_is_recorded_and_staff_revert_it_from_the_history(client, people, auth, packages):
    old, new = packages
    auth.sign_in(people.creator)
    mark(client, status="unmaintained")
    score_marked = fresh(Package, old.id).score
    changes = list(db.session.scalars(select(Change).where(Change.package_id == old.id,
                                                           Change.field == "deprecation_status")))
    assert [(change.old_value, change.new_value) for change in changes] == [(None, "unmaintained")]
    history = html(client.get("/packages/p/django-old/history/"))
    assert "deprecation" in history and "<ins>unmaintained</ins>" in history

    # The creator may not revert; staff may.
    assert post(client, f"/history/{changes[0].id}/revert/").status_code == 403
    staff = auth.client_for(people.staff)
    response = post(staff, f"/history/{changes[0].id}/revert/", headers={"Referer": "/packages/p/django-old/history/"})
    assert response.status_code == 302
    assert fresh(Package, old.id).deprecation_status is None
    assert fresh(Package, old.id).score == pytest.approx(score_marked * 2, abs=0.11)  # no longer halved
    page = html(staff.get("/packages/p/django-old/"))
    assert 'id="deprecation-notice"' not in page
    # Reverting the revert brings the whole mark back: the reason and the replacement were kept.
    revert = db.session.scalar(select(Change).where(Change.reverts_id == changes[0].id))
    post(staff, f"/history/{revert.id}/revert/")
    assert state(old.id) == (DeprecationStatus.UNMAINTAINED, "The authors moved on.", new.id)


def test_the_mark_can_be_taken_off(client, people, auth, packages):
    old, _new = packages
    auth.sign_in(people.creator)
    mark(client)
    response = post(client, "/packages/django-old/deprecation/",
                    {"action": "clear", "revision": fresh(Package, old.id).revision})
    assert response.status_code == 302
    assert fresh(Package, old.id).deprecation_status is None
    assert 'id="deprecation-notice"' not in html(client.get("/packages/p/django-old/"))


# -- where it shows --------------------------------------------------------------------------------------------


def test_lists_search_and_grids_show_the_badge_and_the_replacement(client, people, packages, page_cache_off):
    old, new = packages
    other = make_package("django-other", repo_watchers=1)
    make_grid("Widgets", packages=[old, new, other])
    old.deprecation_status, old.deprecated_by_id, old.deprecation_note = "deprecated", new.id, "Moved."
    db.session.commit()
    replacement_link = '<a class="badge badge-accent replacement-link" href="/packages/p/django-new/"'
    for path in ("/packages/", "/", "/search/?q=django", "/grids/g/widgets/"):
        page = html(client.get(path))
        assert '>deprecated</span>' in page, path
        assert replacement_link in page, path
    # Grids list the deprecated package last, whatever the order (django-old has the most stars).
    page = html(client.get("/grids/g/widgets/?sort=stars"))
    heads = [page.index(f'href="/packages/p/{slug}/">{slug}</a>') for slug in ("django-new", "django-other",
                                                                               "django-old")]
    assert heads == sorted(heads)


def test_the_api_keeps_the_v4_keys(client, packages):
    old, new = packages
    old.deprecation_status, old.deprecated_by_id = "deprecated", new.id
    db.session.commit()
    body = client.get(f"/api/v4/packages/{old.id}/").get_json()
    assert "deprecated" not in body and "deprecated_by" not in body  # djangopackages.org's v4 has no such key


def test_pages_with_a_deprecated_package_keep_their_query_counts(client, packages, count_queries, page_cache_off):
    old, new = packages
    make_grid("Widgets", packages=[old, new])

    def counts() -> list[int]:
        found = []
        for path in ("/packages/p/django-old/", "/packages/", "/grids/g/widgets/"):
            client.get(path)
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            found.append(counter.count)
        return found

    before = counts()
    old.deprecation_status, old.deprecated_by_id = "deprecated", new.id
    db.session.commit()
    assert counts() == before  # the replacement comes with the package (joined), never a query of its own
