"""Ad-hoc comparisons: /compare/?p=a,b,c shows any packages with the grids' fixed rows, adds and takes out
packages with HTMX (every pushed address is a page of its own), and saves the comparison as a grid."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import make_category, make_package
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage
from webapp.history.models import Change

from .editing_support import post

HTMX = {"HX-Request": "true"}


def _packages(*slugs, **fields):
    category = make_category("App", slug="apps")
    made = [make_package(slug, category=category, **fields) for slug in slugs]
    db.session.commit()
    return made


def _heads(html: str) -> list[str]:
    return re.findall(r'<th scope="col" class="col-head">\s*<a class="pkg" href="/packages/p/([^/]+)/"', html)


def test_compare_shows_the_fixed_rows_of_the_named_packages_in_order(client):
    _packages("django-allauth", "dj-rest-auth", "django-invitations", repo_forks=17)
    response = client.get("/compare/?p=django-allauth,dj-rest-auth,django-invitations")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _heads(html) == ["django-allauth", "dj-rest-auth", "django-invitations"]
    for label in ("Description", "Category", "Users", "Python 3", "Latest release", "Stars", "Forks",
                  "Commit activity", "Last commit", "License", "Score", "Links"):
        assert f'<th scope="row">{label}</th>' in html, label
    forks_row = re.search(r'<th scope="row">Forks</th>(.*?)</tr>', html, re.S).group(1)
    assert len(re.findall(r"<td[^>]*>17\b", forks_row)) == 3  # the shared fact macro's row


def test_several_p_and_comma_lists_are_one_comparison_without_repeats(client):
    _packages("a-pkg", "b-pkg", "c-pkg")
    response = client.get("/compare/?p=a-pkg&p=b-pkg,a-pkg&p=c-pkg")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/compare/?p=a-pkg,b-pkg,c-pkg")
    html = client.get("/compare/?p=b-pkg,b-pkg,%20A-PKG%20,,").get_data(as_text=True)
    assert _heads(html) == ["b-pkg", "a-pkg"]


def test_unknown_and_removed_packages_are_reported_and_left_out(client):
    _packages("real-one")
    gone = make_package("gone-one")
    gone.removed_at = db.func.now()
    db.session.commit()
    html = client.get("/compare/?p=real-one,nope-pkg,gone-one").get_data(as_text=True)
    assert _heads(html) == ["real-one"]
    assert "No package is called “nope-pkg”, “gone-one”" in html


def test_more_than_twenty_is_a_clear_message_and_the_first_twenty_are_shown(client):
    slugs = [f"pkg-{n:02}" for n in range(23)]
    _packages(*slugs)
    response = client.get("/compare/?p=" + ",".join(slugs))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You asked for 23 packages; a comparison holds 20 at most" in html
    assert _heads(html) == slugs[:20]
    # A silly long list is not read at all, and is no error.
    assert client.get("/compare/?p=" + ",".join(["x"] * 5000)).status_code == 200


def test_no_packages_is_an_empty_comparison_with_the_picker(client):
    html = client.get("/compare/").get_data(as_text=True)
    assert "Nothing to compare yet" in html and 'id="compare-q"' in html


def test_picker_searches_as_you_type_and_offers_only_packages_not_compared(client):
    _packages("rest-alpha", "rest-beta", "other")
    response = client.get("/compare/?p=rest-alpha&q=rest", headers={**HTMX, "HX-Target": "compare-results"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="compare-results"') and "<html" not in html
    assert "rest-beta" in html and 'href="/compare/?p=rest-alpha,rest-beta&amp;q=rest"' in html
    assert ">rest-alpha</a>" not in html  # already compared


def test_adding_and_removing_swap_the_area_and_each_address_is_a_full_page(client):
    _packages("one-pkg", "two-pkg")
    fragment = client.get("/compare/?p=one-pkg,two-pkg", headers={**HTMX, "HX-Target": "compare-area"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="compare-area"') and "<html" not in html
    assert 'hx-get="/compare/?p=two-pkg" hx-target="#compare-area" hx-swap="outerHTML" hx-push-url="true"' in html
    assert 'hx-get="/compare/?p=one-pkg"' in html
    full = client.get("/compare/?p=two-pkg").get_data(as_text=True)
    assert "<html" in full and _heads(full) == ["two-pkg"]


def test_save_as_grid_is_for_signed_in_people_only(client, auth):
    _packages("one-pkg", "two-pkg")
    anonymous = client.get("/compare/?p=one-pkg,two-pkg").get_data(as_text=True)
    assert "Sign in to save as a grid" in anonymous and 'action="/compare/save/"' not in anonymous
    response = post(client, "/compare/save/", {"title": "Mine", "p": "one-pkg,two-pkg"})
    assert response.status_code == 302 and "/accounts/login/" in response.headers["Location"]
    assert db.session.scalar(select(Grid)) is None


def test_save_as_grid_creates_the_grid_with_its_history(client, auth):
    _packages("one-pkg", "two-pkg")
    auth.new_user("saver")
    page = client.get("/compare/?p=one-pkg,two-pkg").get_data(as_text=True)
    assert 'action="/compare/save/"' in page and 'value="one-pkg vs two-pkg"' in page
    response = post(client, "/compare/save/", {"title": "Auth packages", "p": "one-pkg,two-pkg,nope"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/grids/g/auth-packages/")
    grid = db.session.scalar(select(Grid).where(Grid.slug == "auth-packages"))
    members = db.session.scalars(select(GridPackage).where(GridPackage.grid_id == grid.id)).all()
    assert grid.package_count == 2 and len(members) == 2
    summaries = set(db.session.scalars(select(Change.summary).where(Change.grid_id == grid.id)))
    assert {"Created grid “Auth packages”", "Added one-pkg to the grid", "Added two-pkg to the grid"} <= summaries
    # The same title again: a free address is found.
    again = post(client, "/compare/save/", {"title": "Auth packages", "p": "one-pkg"})
    assert again.headers["Location"].endswith("/grids/g/auth-packages-2/")


def test_save_refuses_nothing_to_save_and_a_bad_title(client, auth):
    _packages("one-pkg")
    auth.new_user("saver")
    assert post(client, "/compare/save/", {"title": "Empty", "p": "nope"}).status_code == 303
    assert post(client, "/compare/save/", {"title": "", "p": "one-pkg"}).status_code == 303
    assert post(client, "/compare/save/", {"title": "x" * 500, "p": "one-pkg"}).status_code == 303
    assert db.session.scalar(select(Grid)) is None
    assert post(client, "/compare/save/", {"title": "No token", "p": "one-pkg"}, csrf=False).status_code == 400


def test_compare_boxes_on_the_package_list_and_search_results_collect_into_one_get_form(client):
    _packages("django-box", "django-other")
    for path in ("/packages/", "/search/?q=django"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="compare-form"' in html and 'method="get" action="/compare/"' in html, path
        assert 'name="p" value="django-box" form="compare-form"' in html, path


def test_compare_runs_a_fixed_number_of_queries(client, count_queries, page_cache_off):
    slugs = [f"pkg-{n:02}" for n in range(20)]
    _packages(*slugs)
    counts = {}
    for size in (2, 20):
        path = "/compare/?q=pkg&p=" + ",".join(slugs[:size])
        client.get(path)
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        counts[size] = counter.count
    # The packages, their stars 90 days ago, the release cycles, the site banner; the picker's matches and count.
    assert counts[2] == counts[20] == 6, counts
