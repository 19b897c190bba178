"""Sites using a package (added by signed-in people, hidden by staff, recorded in the history) and the package
badges (shields-style SVG of the score or the stars)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from tests.editing_support import a_package, fresh, html, post
from webapp.catalog.models import PackageExample
from webapp.extensions import db
from webapp.history.models import Change

ADD = "/packages/p/widget/sites/add/"
SVG = "{http://www.w3.org/2000/svg}"


def examples() -> list[PackageExample]:
    db.session.expire_all()
    return list(db.session.scalars(select(PackageExample).order_by(PackageExample.id)))


def an_example(package, title="Good site", url="https://good.example.org/", **fields) -> PackageExample:
    example = PackageExample(package_id=package.id, title=title, url=url, **fields)
    db.session.add(example)
    db.session.commit()
    return example


# -- sites using it --------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_sign_in_to_add_a_site(client):
    a_package()
    page = html(client.get("/packages/p/widget/"))
    assert "Sites using it" in page and "Sign in to add a site" in page and 'name="url"' not in page
    response = post(client, ADD, {"title": "Mine", "url": "https://mine.example.org/"})
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert examples() == []


def test_a_signed_in_person_adds_a_site_and_the_history_records_it(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    assert 'name="url"' in html(client.get("/packages/p/widget/"))
    response = post(client, ADD, {"title": "  Shop  ", "url": "https://shop.example.com/"})
    assert response.status_code == 302 and response.location == "/packages/p/widget/#sites-h"
    [example] = examples()
    assert (example.title, example.url, example.created_by_id, example.hidden) == (
        "Shop", "https://shop.example.com/", people.other.id, False)
    page = html(client.get("/packages/p/widget/"))
    assert '<a href="https://shop.example.com/" rel="noopener nofollow ugc">Shop</a>' in page
    change = db.session.scalar(select(Change).where(Change.object_type == "package_example"))
    assert change.package_id == package.id and change.user_id == people.other.id and change.action == "create"
    assert "Shop" in html(client.get("/packages/p/widget/history/"))


def test_htmx_add_swaps_the_section(client, people, auth):
    a_package()
    auth.sign_in(people.other)
    response = post(client, ADD, {"title": "Blog", "url": "http://blog.example.net/"}, htmx=True)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<section class="card examples" id="package-examples"')
    assert ">Blog</a>" in body and "Thank you: Blog is listed." in body
    assert "<html" not in body


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example.org/", "example.org", "",
                                 "https://exa mple.org/", "https://" + "a" * 500 + ".org/"])
def test_only_http_and_https_addresses_are_accepted(client, people, auth, url):
    a_package()
    auth.sign_in(people.other)
    response = post(client, ADD, {"title": "Bad", "url": url})
    assert response.status_code == 422 and 'class="field-error"' in html(response)
    response = post(client, ADD, {"title": "Bad", "url": url}, htmx=True)
    assert response.status_code == 200 and 'class="field-error"' in html(response)
    assert examples() == []


def test_the_add_page_works_without_javascript(client, people, auth):
    a_package()
    auth.sign_in(people.other)
    page = html(client.get(ADD))
    assert "Add a site using widget" in page and 'name="title"' in page
    assert post(client, ADD, {"title": "", "url": "https://ok.example.org/"}).status_code == 422
    assert client.get("/packages/p/nope/sites/add/").status_code == 404


def test_staff_hide_a_bad_site_and_the_history_keeps_it_revertible(client, other_client, people, auth):
    package = a_package()
    bad = an_example(package, title="Casino", url="https://casino.example.com/")
    an_example(package)
    hide = f"/packages/sites/{bad.id}/hide/"
    auth(other_client).sign_in(people.other)
    assert post(other_client, hide, {"hidden": "1"}).status_code == 403
    auth.sign_in(people.staff)
    page = html(client.get("/packages/p/widget/"))
    assert f'action="{hide}"' in page
    response = post(client, hide, {"hidden": "1"})
    assert response.status_code == 302 and fresh(PackageExample, bad.id).hidden is True
    assert "Casino" not in html(other_client.get("/packages/p/widget/"))
    assert "Good site" in html(other_client.get("/packages/p/widget/"))
    staff_page = html(client.get("/packages/p/widget/"))
    assert "Casino" in staff_page and ">hidden<" in staff_page  # staff still see it, to show it again
    change = db.session.scalar(select(Change).where(Change.field == "hidden"))
    assert (change.package_id, change.old_value, change.new_value) == (package.id, "false", "true")
    assert post(client, f"/history/{change.id}/revert/").status_code == 302
    assert fresh(PackageExample, bad.id).hidden is False
    response = post(client, f"/packages/sites/{bad.id}/hide/", {"hidden": "1"}, htmx=True)
    assert response.status_code == 200 and ">hidden<" in html(response)
    assert post(client, "/packages/sites/999999/hide/", {"hidden": "1"}).status_code == 404


def test_stored_bad_addresses_never_become_links(client):
    package = a_package()
    an_example(package, title="Sneaky", url="javascript:alert(1)")
    page = html(client.get("/packages/p/widget/"))
    assert "Sneaky" in page and 'href="javascript' not in page


def test_package_page_query_count_does_not_grow_with_sites(client, count_queries, page_cache_off):
    package = a_package()
    counts = []
    for extra in (1, 40):
        for index in range(extra):
            db.session.add(PackageExample(package_id=package.id, title=f"Site {index}",
                                          url=f"https://s{index}.example.org/"))
        db.session.commit()
        client.get("/packages/p/widget/")
        with count_queries() as counter:
            client.get("/packages/p/widget/")
        counts.append(counter.count)
    assert counts[0] == counts[1]


# -- badges ----------------------------------------------------------------------------------------------------


def badge_texts(response) -> list[str]:
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{SVG}svg" and root.get("height") == "20"
    return [text.text for text in root.iter(f"{SVG}text")]


def test_the_badge_is_an_svg_of_the_score_or_the_stars(client):
    a_package(score=42.0, repo_watchers=12345)
    response = client.get("/packages/p/widget/badge.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert badge_texts(response) == ["score", "score", "42.0", "42.0"]
    stars = client.get("/packages/p/widget/badge.svg?metric=stars")
    assert badge_texts(stars)[2] == "12k"
    assert client.get("/packages/p/widget/badge.svg?metric=forks").status_code == 400
    assert client.get("/packages/p/nope/badge.svg").status_code == 404


def test_the_badge_is_cacheable_and_changes_with_the_package(client):
    package = a_package(score=10.0, repo_watchers=5)
    first = client.get("/packages/p/widget/badge.svg?metric=stars")
    assert first.headers["Cache-Control"] == "public, max-age=300" and first.headers["ETag"]
    again = client.get("/packages/p/widget/badge.svg?metric=stars", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    package.repo_watchers = 6
    db.session.commit()
    changed = client.get("/packages/p/widget/badge.svg?metric=stars", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert changed.get_data() != first.get_data() and badge_texts(changed)[2] == "6"


def test_hostile_titles_are_escaped_in_the_badge(client):
    a_package(title='<b>&"x', slug="widget")
    ET.fromstring(client.get("/packages/p/widget/badge.svg").get_data())  # still well-formed XML


def test_the_package_page_shows_badge_markdown(client):
    a_package()
    page = html(client.get("/packages/p/widget/"))
    assert "[![Package Grids score](http://localhost/packages/p/widget/badge.svg)]" \
           "(http://localhost/packages/p/widget/)" in page
    assert 'src="/packages/p/widget/badge.svg?metric=stars"' in page


def test_the_badge_costs_one_query(client, count_queries, page_cache_off):
    a_package()
    client.get("/packages/p/widget/badge.svg")
    with count_queries() as counter:
        client.get("/packages/p/widget/badge.svg")
    assert counter.count == 1
