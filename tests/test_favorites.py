"""Favorites (the star on packages): toggling with and without HTMX, the stored count, lists, grids, the most
liked page and the profile's favorites, public only by choice."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.editing_support import a_package, fresh, html, post
from tests.factories import make_category, make_grid, make_package, make_user
from webapp import counters
from webapp.catalog.models import Favorite, Package
from webapp.extensions import db

STAR = "/packages/p/widget/favorite/"


def star_control(page: str, package_id: int) -> str:
    match = re.search(rf'<(?:form|span) id="favorite-{package_id}".*?class="favorite-count".*?</span></span>', page,
                      re.S)
    assert match, page
    return match.group(0)


def favorite_rows(package_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Favorite).where(Favorite.package_id == package_id))


def star(package, *users) -> None:
    db.session.add_all([Favorite(user_id=user.id, package_id=package.id) for user in users])
    db.session.commit()


def test_anonymous_visitors_get_a_sign_in_link_and_posts_go_to_sign_in(client):
    package = a_package()
    control = star_control(html(client.get("/packages/p/widget/")), package.id)
    assert "Sign in to favorite" in control and "<form" not in control and "csrf" not in control
    assert 'href="/accounts/login/?next=/packages/p/widget/"' in control
    response = post(client, STAR, {"favorite": "1"})
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    assert favorite_rows(package.id) == 0


def test_htmx_star_swaps_the_control_with_the_new_count(client, people, auth):
    package = a_package()
    star(package, people.creator)
    auth.sign_in(people.other)
    control = star_control(html(client.get("/packages/p/widget/")), package.id)
    assert f'hx-post="{STAR}"' in control and 'aria-pressed="false"' in control and ">1<" in control

    response = post(client, STAR, {"favorite": "1", "next": "/packages/p/widget/"}, htmx=True)
    control = star_control(html(response), package.id)
    assert 'aria-pressed="true"' in control and "Favorited" in control and ">2<" in control
    assert 'name="favorite" value="0"' in control
    assert fresh(Package, package.id).favorite_count == 2 and favorite_rows(package.id) == 2

    control = star_control(html(post(client, STAR, {"favorite": "0"}, htmx=True)), package.id)
    assert 'aria-pressed="false"' in control and ">1<" in control
    assert fresh(Package, package.id).favorite_count == 1


def test_stars_are_idempotent_and_separate_from_usage(client, people, auth):
    package = a_package()
    auth.sign_in(people.other)
    for _ in range(3):
        assert post(client, STAR, {"favorite": "1"}, htmx=True).status_code == 200
    assert favorite_rows(package.id) == 1 and fresh(Package, package.id).favorite_count == 1
    assert fresh(Package, package.id).usage_count == 0
    post(client, STAR, {}, htmx=True)  # no value: flips
    assert favorite_rows(package.id) == 0


def test_without_javascript_the_star_redirects_back_to_a_local_page(client, people, auth):
    a_package()
    auth.sign_in(people.other)
    response = post(client, STAR, {"favorite": "1", "next": "/packages/?sort=stars"})
    assert response.status_code == 302 and response.location == "/packages/?sort=stars"
    response = post(client, STAR, {"favorite": "0", "next": "https://evil.example/"})
    assert response.location == "/packages/p/widget/"
    assert post(client, "/packages/p/nope/favorite/", {"favorite": "1"}).status_code == 404


def test_the_count_follows_every_write_even_deleting_a_person(client, people, auth):
    package = a_package()
    extra = make_user()
    star(package, people.creator, extra)
    assert fresh(Package, package.id).favorite_count == 2
    db.session.delete(extra)
    db.session.commit()
    assert fresh(Package, package.id).favorite_count == 1
    with db.engine.connect() as connection:
        assert counters.check(connection) == []


def test_list_rows_and_grid_columns_show_the_viewers_stars(client, people, auth):
    category = make_category(slug="apps")
    liked, other = make_package("liked", category=category), make_package("other", category=category)
    make_grid("Web", packages=[liked, other])
    star(liked, people.other)
    page = html(client.get("/packages/"))
    assert "Sign in to favorite" in star_control(page, liked.id)
    auth.sign_in(people.other)
    for path in ("/packages/", "/categories/apps/", "/grids/g/web/"):
        page = html(client.get(path))
        assert 'aria-pressed="true"' in star_control(page, liked.id), path
        assert 'aria-pressed="false"' in star_control(page, other.id), path
        assert 'name="compact" value="1"' in star_control(page, liked.id), path


def test_a_persons_star_never_reaches_the_anonymous_cached_page(app, client, people, auth):
    package = a_package()
    anonymous = app.test_client()
    anonymous.get("/packages/p/widget/")  # cached
    auth.sign_in(people.other)
    post(client, STAR, {"favorite": "1"}, htmx=True)
    page = html(client.get("/packages/p/widget/"))
    assert 'aria-pressed="true"' in star_control(page, package.id)
    control = star_control(html(anonymous.get("/packages/p/widget/")), package.id)
    assert "Sign in to favorite" in control and ">1<" in control  # the new count, nobody's state


def test_most_liked_lists_starred_packages_by_count(client, people):
    category = make_category()
    one, two, none = (make_package(name, category=category) for name in ("one", "two", "none"))
    star(two, people.creator, people.other)
    star(one, people.staff)
    page = html(client.get("/packages/liked/"))
    assert page.index(">two<") < page.index(">one<") and ">none<" not in page
    assert "of 2 starred packages" in page


def test_most_liked_and_list_query_counts_do_not_grow(app, client, count_queries, page_cache_off, people, auth,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "PACKAGES_PER_PAGE", 10)
    category = make_category(slug="apps")
    counts = []
    for size in (2, 20):
        for index in range(size):
            package = make_package(f"p{size}-{index}", category=category)
            star(package, people.creator)
        client.get("/packages/liked/")
        with count_queries() as counter:
            assert client.get("/packages/liked/").status_code == 200
        counts.append(counter.count)
    assert counts == [3, 3]  # the page, its count, the site banner (webapp/staff)
    auth.sign_in(people.creator)
    signed_in = []
    for path in ("/packages/liked/", "/packages/", "/packages/liked/?page=2"):
        client.get(path)
        with count_queries() as counter:
            client.get(path)
        signed_in.append(counter.count)
    assert signed_in[0] == signed_in[2]  # any page: the viewer's stars among its rows are one query


def test_favorites_are_private_on_the_profile_until_the_person_shows_them(client, other_client, people, auth):
    package = a_package()
    star(package, people.creator)
    assert "Favorite packages" not in html(other_client.get("/profiles/carol/"))
    auth.sign_in(people.creator)
    page = html(client.get("/profiles/carol/"))
    assert "Favorite packages" in page and "Only you can see this list." in page and ">★ widget<" in page
    response = post(client, "/favorites/visibility/", {"public": "1", "next": "/profiles/carol/"})
    assert response.status_code == 302 and response.location == "/profiles/carol/"
    page = html(other_client.get("/profiles/carol/"))
    assert "Favorite packages" in page and ">★ widget<" in page and "Only you" not in page
    post(client, "/favorites/visibility/", {"public": "0"})
    assert "Favorite packages" not in html(other_client.get("/profiles/carol/"))


def test_profile_favorites_cost_one_query_whatever_their_number(client, count_queries, people, auth):
    people.creator.favorites_public = True
    db.session.commit()
    counts = []
    for size in (1, 12):
        for _ in range(size):
            star(make_package(), people.creator)
        client.get("/profiles/carol/")
        with count_queries() as counter:
            client.get("/profiles/carol/")
        counts.append(counter.count)
    assert counts[0] == counts[1]
