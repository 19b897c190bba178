"""The package list: category chips (?category=slug), every order both ways (?sort=key&dir=asc|desc), bad values
read as the defaults, forks and users on each row, a fixed query count, and every order read from an index."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.factories import make_category, make_package
from webapp.catalog.queries import PACKAGE_SORTS, package_list_statement
from webapp.extensions import db


def _catalogue():
    apps = make_category("App", slug="apps")
    tools = make_category("Tool", slug="tools")
    for n, stars in enumerate((30, 10, 20)):
        make_package(f"app-{n}", category=apps, repo_watchers=stars, repo_forks=stars // 10, usage_count=n)
    make_package("tool-a", category=tools, repo_watchers=5)
    db.session.commit()
    return apps, tools


def _names(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    row_link = r'<li class="package-row">\s*<h3>\s*<a href="/packages/p/([^/]+)/"'
    return re.findall(row_link, response.get_data(as_text=True))


def test_category_chips_filter_the_list_and_keep_the_order(client):
    _catalogue()
    html = client.get("/packages/").get_data(as_text=True)
    chips = re.search(r'<nav class="category-chips".*?</nav>', html, re.S).group(0)
    assert 'href="/packages/?category=apps"' in chips and 'href="/packages/?category=tools"' in chips
    assert re.search(r'<a href="/packages/" [^>]*aria-current="true">All</a>', chips)
    assert _names(client, "/packages/?category=apps&sort=stars") == ["app-0", "app-2", "app-1"]
    assert _names(client, "/packages/?category=tools") == ["tool-a"]
    filtered = client.get("/packages/?category=apps&sort=stars").get_data(as_text=True)
    assert "Showing 1–3 of 3 packages" in filtered
    # The sort links keep the category, the chips keep the order, the filter box keeps both.
    assert 'href="/packages/?category=apps&amp;sort=score"' in filtered
    assert 'href="/packages/?category=tools&amp;sort=stars"' in filtered
    assert '<input type="hidden" form="package-filter" name="category" value="apps">' in filtered


def test_every_order_reads_both_ways(client):
    _catalogue()
    assert _names(client, "/packages/?sort=stars") == ["app-0", "app-2", "app-1", "tool-a"]
    assert _names(client, "/packages/?sort=stars&dir=desc") == ["app-0", "app-2", "app-1", "tool-a"]
    assert _names(client, "/packages/?sort=stars&dir=asc") == ["tool-a", "app-1", "app-2", "app-0"]
    assert _names(client, "/packages/?sort=title") == ["app-0", "app-1", "app-2", "tool-a"]
    assert _names(client, "/packages/?sort=title&dir=desc") == ["tool-a", "app-2", "app-1", "app-0"]
    assert _names(client, "/categories/apps/?sort=usage&dir=asc") == ["app-0", "app-1", "app-2"]
    for key in PACKAGE_SORTS:
        ahead, back = (_names(client, f"/packages/?sort={key}&dir={way}") for way in ("asc", "desc"))
        assert ahead == back[::-1], key


def test_the_current_order_link_reverses_it(client):
    _catalogue()
    html = client.get("/packages/?sort=stars").get_data(as_text=True)
    assert re.search(r'<a href="/packages/\?sort=stars&amp;dir=asc" [^>]*aria-current="true"[^>]*>Stars', html)
    reversed_html = client.get("/packages/?sort=stars&dir=asc").get_data(as_text=True)
    assert re.search(r'<a href="/packages/\?sort=stars" [^>]*aria-current="true"[^>]*>Stars <span aria-hidden="true">↑',
                     reversed_html)


def test_bad_values_read_as_the_defaults(client):
    _catalogue()
    default = _names(client, "/packages/")
    for query in ("sort=bogus", "dir=sideways", "sort=score&dir=", "category=nope", "category=", "page=-4",
                  "page=abc", "sort=%00&dir=%ff&category=%2F..%2F", "q=&sort=score&sort=stars&dir=desc&dir=asc"):
        assert _names(client, f"/packages/?{query}") == default, query


def test_rows_show_forks_and_users(client):
    _catalogue()
    html = client.get("/packages/?category=apps&sort=stars").get_data(as_text=True)
    row = re.search(r'<li class="package-row">.*?</li>', html, re.S).group(0)
    assert "<strong>3</strong>forks" in row and "<strong>0</strong>users" in row


def test_filtered_and_sorted_lists_run_a_fixed_number_of_queries(client, count_queries, page_cache_off):
    apps, _tools = _catalogue()
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            for n in range(40):
                make_package(f"more-{n}", category=apps)
            db.session.commit()
        for path in ("/packages/", "/packages/?category=apps", "/packages/?category=apps&sort=stars&dir=asc",
                     "/packages/?sort=title&dir=desc&page=2", "/packages/?category=nope"):
            client.get(path)
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts[(size, path)] = counter.count
    for (_size, path), count in counts.items():
        assert count == counts[("small", path)], path
    # The categories (with their stored counts), the page, the site banner; without a category, the stored total too.
    assert counts[("large", "/packages/?category=apps")] == 3
    assert counts[("large", "/packages/")] == 4


def _plan(statement) -> str:
    sql = str(statement.limit(30).offset(30).compile(db.engine, compile_kwargs={"literal_binds": True}))
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL enable_sort = off"))
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))
    return "\n".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def test_each_reversed_order_is_read_from_an_index_too():
    apps = make_category("App", slug="apps")
    for n in range(12):
        make_package(f"p{n}", category=apps, versions=0)
    for sort in PACKAGE_SORTS:
        for category in (None, apps):
            plan = _plan(package_list_statement(category, sort, reverse=True))
            assert "TEMP B-TREE" not in plan and not re.search(r"(^|\s)(Incremental )?Sort\b", plan), (sort, plan)
    db.session.rollback()
