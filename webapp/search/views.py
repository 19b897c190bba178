"""The search page and the search-as-you-type suggestions."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from webapp.htmx import is_htmx
from webapp.search import queries

blueprint = Blueprint("search", __name__)

MAX_QUERY_LENGTH = 200


def _correct() -> bool:
    """False when the person asked for their words as typed ("search instead for ...")."""
    return request.args.get("spell", "") != "0"


@blueprint.get("/search/")
def results():
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    return render_template("search/results.html", results=queries.search(query, correct=_correct()), query=query)


@blueprint.get("/opensearch.xml")
def opensearch():
    """The OpenSearch description, so browsers can offer the site as a search engine."""
    response = make_response(render_template("search/opensearch.xml"))
    response.mimetype = "application/opensearchdescription+xml"
    return response


@blueprint.get("/search/suggest/")
def suggest():
    """A short list for the header's dropdown; a full page when opened directly."""
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    results = queries.search(query, package_limit=8, grid_limit=4, correct=_correct())
    if not is_htmx():
        return render_template("search/results.html", results=results, query=query)
    return render_template("_partials/search_suggestions.html", results=results, query=query)
