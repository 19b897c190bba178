"""Queries typed as people type them, on the demo catalogue: the package they mean is in the first three results,
through the search page, the suggestions and API v4 alike (tests/test_search.py covers ranking rules on small
catalogues; tests/test_search_index.py the index itself)."""

from __future__ import annotations

import re

import pytest

# query -> a package it means (any one of the tuple counts)
MEANT = {
    # several words, in any order
    "djnago allauth": ("django-allauth",),
    "allauth django": ("django-allauth",),
    "images processing": ("django-imagekit",),
    "processing images": ("django-imagekit",),
    "silk profiling": ("django-silk",),
    "profiling silk": ("django-silk",),
    "registration account": ("django-allauth",),
    "account registration": ("django-allauth",),
    "debug toolbar": ("django-debug-toolbar",),
    "toolbar debug": ("django-debug-toolbar",),
    "rest framework": ("djangorestframework",),
    # typos
    "djnago": ("django",),
    "imagkit": ("django-imagekit",),
    "permisions": ("django-permission", "django-role-permissions", "django-permissions-policy"),
    "alauth": ("django-allauth",),
    "guardain": ("django-guardian",),
    "django debug tolbar": ("django-debug-toolbar",),
    # plural and verb forms
    "image": ("django-imagekit",),
    "profile": ("django-silk",),
    "permission": ("django-permission", "django-role-permissions", "django-guardian"),
    "translates models": ("django-modeltranslation",),
    # as typed into a search-as-you-type box: the last word unfinished
    "django-allau": ("django-allauth",),
    "imagek": ("django-imagekit",),
    # names written otherwise
    "django_allauth": ("django-allauth",),
    "Django Allauth": ("django-allauth",),
    "DjangoAllauth": ("django-allauth",),
    "modeltranslation": ("django-modeltranslation",),
    # pasted repository URLs, in their forms
    "https://github.com/pennersr/django-allauth": ("django-allauth",),
    "https://github.com/pennersr/django-allauth.git": ("django-allauth",),
    "git@github.com:pennersr/django-allauth.git": ("django-allauth",),
    "github.com/pennersr/django-allauth/tree/main/docs": ("django-allauth",),
    "http://www.github.com/jazzband/django-silk/": ("django-silk",),
}
NONSENSE = ["zzqxv", "qwpoeiruty", "xyzzy qwghlm", "ñöñßéñsé", "12345678901"]
# Characters with a meaning to LIKE, to FTS5 or to tsquery: plain text, never an error.
HOSTILE = ['%', '_', '"', "'", '""', 'AND', 'OR NOT', 'NEAR(a b)', 'django*', '^django', 'title:django',
           '(django', 'django)', 'a & b | !c', 'django:*', "'django' & 'silk'", '-django', '+', '\\', 'NOT',
           '"unterminated', "NEAR/2", "{name} : silk", "django ^ silk"]


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/packages/p/[^/]+/">([^<]+)</a>', html)


def rank_of(found: list[str], meant: tuple[str, ...]) -> int | None:
    return next((index for index, title in enumerate(found) if title in meant), None)


def test_the_meant_package_is_in_the_first_three(client, demo):
    """Every query of MEANT, through the search page, API v4 and the suggestions (one catalogue for all)."""
    missed = []
    for query, meant in MEANT.items():
        found = titles(client.get("/search/", query_string={"q": query}).get_data(as_text=True))
        api = [item["title"] for item in client.get("/api/v4/search/", query_string={"q": query}).get_json()
               if item["item_type"] == "package"]
        suggestions = client.get("/search/suggest/", query_string={"q": query}, headers={"HX-Request": "true"})
        for where, ranked in (("page", found), ("api", api)):
            rank = rank_of(ranked, meant)
            if rank is None or rank >= 3:
                missed.append((where, query, ranked[:5]))
        if not any(f">{title}<" in suggestions.get_data(as_text=True) for title in meant):
            missed.append(("suggestions", query))
    assert missed == []


@pytest.mark.parametrize("query", ["django allauth", "allauth django", "djnago allauth", "Django-Allauth"])
def test_an_exact_name_ranks_first_in_any_order_or_spelling(client, demo, query):
    found = titles(client.get("/search/", query_string={"q": query}).get_data(as_text=True))
    assert found[0] == "django-allauth"


def test_all_words_rank_above_some_words_and_most_words_are_still_found(client, demo):
    found = titles(client.get("/search/?q=registration+account").get_data(as_text=True))
    both = {"django-allauth", "django-user-accounts"}
    assert set(found[:2]) <= both | {"django-registration"} and "django-allauth" in found[:2]
    assert "django-registration" in found  # one word of two: still found, below
    # a word that is nowhere does not hide the packages that have the others
    assert "django-silk" in titles(client.get("/search/?q=silk+profiling+blorptastic").get_data(as_text=True))


def test_a_corrected_query_says_so_and_offers_the_words_as_typed(client, demo):
    html = client.get("/search/?q=djnago+allauth").get_data(as_text=True)
    assert "Showing results for <strong>django allauth</strong>" in html
    assert 'href="/search/?q=djnago+allauth&amp;spell=0"' in html
    assert "corrected spelling: djnago → django" in html
    as_typed = client.get("/search/?q=djnago+allauth&spell=0").get_data(as_text=True)
    assert "Showing results for" not in as_typed
    assert "Showing results for" not in client.get("/search/?q=django+allauth").get_data(as_text=True)


def test_nonsense_finds_nothing(client, demo):
    for query in NONSENSE:
        html = client.get("/search/", query_string={"q": query}).get_data(as_text=True)
        assert titles(html) == [] and "No grid matches" in html, query
        assert client.get("/api/v4/search/", query_string={"q": query}).get_json() == [], query


def test_operators_quotes_and_wildcards_are_plain_text(client, demo):
    for query in HOSTILE:
        for path in ("/search/", "/search/suggest/", "/api/v4/search/"):
            response = client.get(path, query_string={"q": query}, headers={"HX-Request": "true"})
            assert response.status_code == 200, (path, query)
        found = titles(client.get("/search/", query_string={"q": query}).get_data(as_text=True))
        plain = " ".join(re.findall(r"[^\W_]+", query.lower()))
        if plain:  # read as its words and nothing more
            assert found == titles(client.get("/search/", query_string={"q": plain}).get_data(as_text=True)), query
        else:  # no word: a literal substring, which few demo names or descriptions have ("%" is not "everything")
            assert len(found) < 50, query
    # a quoted phrase or an operator is read as its words: the same answer as the words alone
    assert titles(client.get('/search/?q="silk" AND profiling').get_data(as_text=True))[:3] == titles(
        client.get("/search/?q=silk and profiling").get_data(as_text=True))[:3]


def test_each_result_says_why_and_marks_the_words(client, demo):
    html = client.get("/search/?q=silk+profiling").get_data(as_text=True)
    row = html.split('href="/packages/p/django-silk/"', 1)[1].split("</li>", 1)[0]
    assert "name matches" in row or "description mentions your search" in row
    assert "<mark>Silky</mark> smooth <mark>profiling</mark>" in row
    url = client.get("/search/?q=https://github.com/jazzband/django-silk").get_data(as_text=True)
    assert "repository URL matches" in url
    assert "exact name" in client.get("/search/?q=django-silk").get_data(as_text=True)
