""""I use this" and flagging a package, over HTTP (with and without HTMX)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.editing_support import a_package, fresh, html, post, table_counts
from tests.factories import make_user
from webapp.catalog import services
from webapp.catalog.models import Flag, Package, Usage
from webapp.db_types import utcnow
from webapp.extensions import db

USAGE = "/packages/p/widget/usage/"
FLAG = "/packages/p/widget/flag/"


def usage_rows(package_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Usage).where(Usage.package_id == package_id))


def button(page: str, package_id: int) -> str:
    match = re.search(rf'<form id="usage-{package_id}".*?</form>', page, re.S)
    assert match, page
    return match.group(0)


# -- "I use this" ----------------------------------------------------------------------------------------------


def test_anonymous_usage_clicks_go_to_sign_in(client):
    package = a_package()
    response = post(client, USAGE, {"use": "1"})
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    response = post(client, USAGE, {"use": "1"}, htmx=True,
                    headers={"HX-Current-URL": "http://localhost/packages/p/widget/"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/accounts/login/?next=/packages/p/widget/"
    assert usage_rows(package.id) == 0 and fresh(Package, package.id).usage_count == 0


def test_the_package_page_shows_the_toggle_for_the_viewer(client, people, auth):
    package = a_package()
    page = html(client.get("/packages/p/widget/"))
    form = button(page, package.id)
    assert "Sign in to use" in form and 'action="/accounts/login/"' in form  # anonymous: it leads to sign in
    db.session.add(Usage(user_id=people.other.id, package_id=package.id))
    db.session.commit()
    auth.sign_in(people.other)
    form = button(html(client.get("/packages/p/widget/")), package.id)
    assert "You use this ✓ — remove" in form and 'aria-pressed="true"' in form
    assert 'name="use" value="0"' in form


def test_htmx_toggle_swaps_the_button_and_keeps_the_count_right(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    response = post(client, USAGE, {"use": "1", "next": "/packages/p/widget/"}, htmx=True)
    assert response.status_code == 200
    form = button(html(response), package.id)
    assert f'hx-post="{USAGE}"' in form and 'hx-target="this"' in form and 'hx-swap="outerHTML"' in form
    assert "You use this ✓ — remove" in form
    assert '<span class="usage-count"' in form and ">1<" in form
    assert 'name="next" value="/packages/p/widget/"' in form
    assert usage_rows(package.id) == 1 and fresh(Package, package.id).usage_count == 1

    response = post(client, USAGE, {"use": "0"}, htmx=True)
    form = button(html(response), package.id)
    assert "I use this" in form and "remove" not in form and ">0<" in form
    assert usage_rows(package.id) == 0 and fresh(Package, package.id).usage_count == 0


def test_repeated_clicks_are_idempotent(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    for _ in range(3):
        assert post(client, USAGE, {"use": "1"}, htmx=True).status_code == 200
    assert usage_rows(package.id) == 1 and fresh(Package, package.id).usage_count == 1
    for _ in range(3):
        post(client, USAGE, {"use": "0"}, htmx=True)
    assert usage_rows(package.id) == 0 and fresh(Package, package.id).usage_count == 0


def test_a_plain_toggle_twice_returns_to_where_it_was(client, other_client, people, auth):
    package = a_package()
    db.session.add(Usage(user_id=people.staff.id, package_id=package.id))
    package.usage_count = 1
    db.session.commit()
    auth.sign_in(people.other)
    auth(other_client).sign_in(people.creator)
    post(client, USAGE, {}, htmx=True)
    post(other_client, USAGE, {}, htmx=True)
    assert fresh(Package, package.id).usage_count == 3
    post(client, USAGE, {}, htmx=True)
    assert fresh(Package, package.id).usage_count == 2
    post(client, USAGE, {}, htmx=True)
    assert fresh(Package, package.id).usage_count == 3
    assert usage_rows(package.id) == 3


def test_a_drifted_count_is_corrected_by_the_next_click(client, people, auth):
    package = a_package(usage_count=41)
    auth.sign_in(people.other)
    post(client, USAGE, {"use": "1"}, htmx=True)
    assert fresh(Package, package.id).usage_count == 1


def test_usage_changes_the_score(client, people, auth):
    package = a_package(score=0)
    auth.sign_in(people.other)
    post(client, USAGE, {"use": "1"}, htmx=True)
    with_user = fresh(Package, package.id).score
    post(client, USAGE, {"use": "0"}, htmx=True)
    assert with_user == pytest.approx(fresh(Package, package.id).score + 5.0)


def test_the_package_page_figure_is_refreshed_out_of_band(client, people, auth):
    a_package()
    auth.sign_in(people.other)
    page = html(client.get("/packages/p/widget/"))
    assert 'name="stat" value="1"' in page
    response = post(client, USAGE, {"use": "1", "stat": "1"}, htmx=True)
    assert '<div class="stat" id="usage-count" hx-swap-oob="true"><strong>1</strong><span>person uses</span>' \
        in html(response).replace(" it</span>", "</span>")
    # Elsewhere (a grid header) the partial is used without the figure.
    response = post(client, USAGE, {"use": "0"}, htmx=True)
    assert "hx-swap-oob" not in html(response)


def test_without_javascript_the_toggle_redirects_back_to_a_local_page(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    response = post(client, USAGE, {"use": "1", "next": "/grids/g/web/?sort=stars"})
    assert response.status_code == 302 and response.location == "/grids/g/web/?sort=stars"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = post(client, USAGE, {"use": "1", "next": evil})
        assert response.location == "/packages/p/widget/", evil
    assert usage_rows(package.id) == 1
    assert "You use widget." in html(client.get("/packages/p/widget/"))


def test_usage_on_an_unknown_package_is_404(client, people, auth):
    auth.sign_in(people.other)
    assert post(client, "/packages/p/nope/usage/", {"use": "1"}).status_code == 404
    assert post(client, "/packages/p/nope/usage/", {"use": "1"}, htmx=True).status_code == 404


def test_usage_toggle_query_count_does_not_grow(client, people, count_queries, auth):
    package = a_package()
    auth.sign_in(people.other)
    counts = []
    for extra in (0, 30):
        for _ in range(extra):
            db.session.add(Usage(user_id=make_user().id, package_id=package.id))
        db.session.commit()
        post(client, USAGE, {"use": "1"}, htmx=True)
        with count_queries() as counter:
            post(client, USAGE, {"use": "0"}, htmx=True)
        counts.append(counter.count)
    assert counts[0] == counts[1]
    # user, package, lock, mine?, write, count, its releases (the current one among them), the supported Django
    # cycles (the score counts a declared one), one update of the count and score, cache version
    assert counts[0] == 10


# -- flags -----------------------------------------------------------------------------------------------------


def test_anonymous_flagging_goes_to_sign_in(client):
    a_package()
    assert client.get(FLAG).status_code == 302
    response = post(client, FLAG, {"reason": "spam"})
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert 'href="/accounts/login/?next=/packages/p/widget/flag/"' in html(client.get("/packages/p/widget/"))
    assert table_counts()["flags"] == 0


def test_flag_a_package(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    page = html(client.get("/packages/p/widget/"))
    assert f'hx-post="{FLAG}"' in page and 'name="reason"' in page
    assert client.get(FLAG).status_code == 200
    response = post(client, FLAG, {"reason": "  Spam: links to a casino.  "})
    assert response.status_code == 302 and response.location == "/packages/p/widget/"
    [flag] = db.session.scalars(select(Flag))
    assert (flag.package_id, flag.user_id, flag.status, flag.reason) == (
        package.id, people.other.id, "open", "Spam: links to a casino.")
    assert "Thank you. Staff will review your report." in html(client.get("/packages/p/widget/"))


@pytest.mark.parametrize("reason, message", [("", "Say why"), ("   ", "Say why"), ("x" * 1001, "1000")])
def test_flag_needs_a_reason_of_at_most_1000_characters(client, people, reason, message, auth):
    a_package()
    auth.sign_in(people.other)
    response = post(client, FLAG, {"reason": reason})
    assert response.status_code == 422 and message in html(response)
    response = post(client, FLAG, {"reason": reason}, htmx=True)
    assert response.status_code == 200  # HTMX swaps the form with its error
    assert 'class="field-error"' in html(response) and message in html(response)
    assert table_counts()["flags"] == 0
    assert post(client, FLAG, {"reason": "x" * 1000}).status_code == 302


def test_one_open_flag_per_person_and_package(client, other_client, people, auth):
    a_package()
    auth.sign_in(people.other)
    post(client, FLAG, {"reason": "spam"})
    response = post(client, FLAG, {"reason": "spam again"})
    assert response.status_code == 409
    assert "You have already flagged this package" in html(response)
    response = post(client, FLAG, {"reason": "spam again"}, htmx=True)
    assert response.status_code == 200 and "You have already flagged this package" in html(response)
    assert table_counts()["flags"] == 1
    auth(other_client).sign_in(people.creator)  # someone else may flag it too
    assert post(other_client, FLAG, {"reason": "agree"}).status_code == 302
    assert table_counts()["flags"] == 2


def test_a_flag_race_is_settled_by_the_unique_index(client, people, monkeypatch, auth):
    """Two submissions at once both pass the check; the database's partial unique index refuses the second."""
    package = a_package()
    db.session.add(Flag(user_id=people.other.id, package_id=package.id, reason="first", status="open"))
    db.session.commit()
    monkeypatch.setattr(services, "open_flag", lambda user_id, package_id: None)
    auth.sign_in(people.other)
    response = post(client, FLAG, {"reason": "second"})
    assert response.status_code == 409 and "You have already flagged this package" in html(response)
    assert table_counts()["flags"] == 1


def test_after_a_decision_the_same_person_may_flag_again(client, people, auth):
    package = a_package()
    db.session.add(Flag(user_id=people.other.id, package_id=package.id, reason="old", status="dismissed"))
    db.session.commit()
    auth.sign_in(people.other)
    assert post(client, FLAG, {"reason": "new"}).status_code == 302
    assert table_counts()["flags"] == 2


def test_htmx_flag_answers_with_the_partial(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    response = post(client, FLAG, {"reason": "spam"}, htmx=True)
    assert response.status_code == 200
    page = html(response)
    assert page.lstrip().startswith(f'<div class="flag-box" id="flag-{package.id}">')
    assert "Thank you. Staff will review your report." in page
    assert "<html" not in page


def test_a_removed_package_cannot_be_flagged(client, people, auth):
    a_package(removed_at=utcnow(), removed_reason="spam")
    auth.sign_in(people.other)
    response = post(client, FLAG, {"reason": "more spam"})
    assert response.status_code == 409 and "already been removed" in html(response)
    assert table_counts()["flags"] == 0


def test_htmx_toggle_from_a_grid_also_refreshes_the_grid_users_row(client, people, auth):
    from tests.factories import make_grid

    package = a_package()
    make_grid("Widgets", packages=[package])
    auth.sign_in(people.other)
    page = html(client.get("/grids/g/widgets/"))
    assert f'<span id="users-{package.id}">0</span>' in page
    assert 'name="cell" value="1"' in button(page, package.id)
    response = post(client, USAGE, {"use": "1", "cell": "1"}, htmx=True)
    body = html(response)
    assert f'<span id="users-{package.id}" hx-swap-oob="true">1</span>' in body
    assert 'id="usage-count"' not in body
