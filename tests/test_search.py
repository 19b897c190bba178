"""Search results and search-as-you-type suggestions."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_category, make_grid, make_package


def result_titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/packages/p/[^/]+/">([^<]+)</a>', html)


@pytest.fixture
def catalogue():
    category = make_category()
    make_package("django-rest-framework-extras", category=category, repo_watchers=5000, score=90,
                 repo_description="Extras")
    make_package("djangorestframework", category=category, repo_watchers=20000, score=95,
                 repo_url="https://github.com/encode/django-rest-framework", repo_description="Web APIs")
    make_package("rest", category=category, repo_watchers=1, score=1, repo_description="A tiny one")
    make_package("django-ninja", category=category, repo_watchers=7000, score=80,
                 repo_description="Fast REST framework with type hints")
    make_grid("REST frameworks", packages=[], description="APIs")


def test_exact_name_ranks_first_even_with_few_stars(client, catalogue):
    html = client.get("/search/?q=rest").get_data(as_text=True)
    titles = result_titles(html)
    assert titles[0] == "rest"
    assert set(titles) == {"rest", "django-rest-framework-extras", "djangorestframework", "django-ninja"}
    assert titles[-1] == "django-ninja"  # matched in the description only
    assert "exact name" in html and "description mentions your search" in html
    assert "REST frameworks" in html


@pytest.mark.parametrize("pasted", [
    "https://github.com/encode/django-rest-framework",
    "https://github.com/encode/django-rest-framework.git",
    "http://www.github.com/encode/django-rest-framework/tree/master/docs",
    "git@github.com:encode/django-rest-framework.git",
    "github.com/Encode/Django-REST-Framework/",
])
def test_pasted_repository_url_finds_the_package_first(client, catalogue, pasted):
    html = client.get("/search/", query_string={"q": pasted}).get_data(as_text=True)
    assert result_titles(html)[0] == "djangorestframework"
    assert "repository URL matches" in html


def test_suggestions_are_a_fragment_for_htmx_and_a_page_otherwise(client, catalogue):
    fragment = client.get("/search/suggest/?q=ninja", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "django-ninja" in fragment and 'href="/search/?q=ninja"' in fragment
    page = client.get("/search/suggest/?q=ninja").get_data(as_text=True)
    assert "<html" in page and "django-ninja" in page


def test_empty_long_and_odd_queries_are_handled(client, catalogue):
    assert client.get("/search/").status_code == 200
    assert client.get("/search/?q=" + "x" * 5000).status_code == 200
    response = client.get("/search/", query_string={"q": "%_'\"<script>"})
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True).split("</header>", 1)[1]
    empty = client.get("/search/suggest/?q=", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert empty.strip() == ""


def test_search_runs_a_fixed_number_of_queries(client, catalogue, count_queries, page_cache_off):
    client.get("/search/?q=rest")
    with count_queries() as counter:
        client.get("/search/?q=rest")
    assert counter.count == 4  # and the site banner
