"""The search page and the search-as-you-type suggestions."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.htmx import is_htmx
from webapp.search import queries

blueprint = Blueprint("search", __name__)

MAX_QUERY_LENGTH = 200


@blueprint.get("/search/")
def results():
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    return render_template("search/results.html", results=queries.search(query), query=query)


@blueprint.get("/search/suggest/")
def suggest():
    """A short list for the header's dropdown; a full page when opened directly."""
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    results = queries.search(query, package_limit=8, grid_limit=4)
    if not is_htmx():
        return render_template("search/results.html", results=results, query=query)
    return render_template("_partials/search_suggestions.html", results=results, query=query)
