"""Catalogue pages: home, package lists, categories, package pages, feeds, sitemap and robots.txt."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from webapp.catalog import queries
from webapp.catalog.scoring import FORMULA as SCORE_FORMULA
from webapp.catalog.scoring import package_score_breakdown
from webapp.pagination import parse_page

blueprint = Blueprint("catalog", __name__)


def _list_arguments() -> dict:
    sort = request.args.get("sort", queries.DEFAULT_PACKAGE_SORT)
    if sort not in queries.PACKAGE_SORTS:
        sort = queries.DEFAULT_PACKAGE_SORT
    return {"query": request.args.get("q", "")[:200], "sort": sort, "page": parse_page(request.args.get("page"))}


def _render_listing(template: str, **context):
    """The full page, or only its result block when HTMX swaps the list."""
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "package-results":
        return render_block(template, "results", **context)
    return render_template(template, **context)


@blueprint.get("/")
def home():
    return render_template("catalog/home.html", data=queries.home_data())


@blueprint.get("/packages/")
def package_list():
    arguments = _list_arguments()
    listing = queries.package_page(**arguments, per_page=current_app.config["PACKAGES_PER_PAGE"])
    return _render_listing("catalog/package_list.html", page=listing, category=None, query=arguments["query"],
                           sort=arguments["sort"], sorts=queries.PACKAGE_SORTS)


@blueprint.get("/categories/")
def category_index():
    return render_template("catalog/category_index.html", categories=queries.categories_with_counts())


@blueprint.get("/categories/<slug>/")
def category_detail(slug: str):
    category = queries.category_by_slug(slug)
    if category is None:
        abort(404, f"There is no category “{slug}”.")
    arguments = _list_arguments()
    listing = queries.package_page(category=category, **arguments, per_page=current_app.config["PACKAGES_PER_PAGE"])
    return _render_listing("catalog/package_list.html", page=listing, category=category, query=arguments["query"],
                           sort=arguments["sort"], sorts=queries.PACKAGE_SORTS)


@blueprint.get("/packages/p/<slug>/")
def package_detail(slug: str):
    viewer_id = current_user.id if current_user.is_authenticated else None
    detail = queries.package_detail(slug, viewer_id=viewer_id)
    if detail is None:
        abort(404, f"There is no package “{slug}”.")
    latest = queries.latest_release(detail.package, detail.releases)
    score = package_score_breakdown(detail.package, latest.supports_python3 if latest else None)
    return render_template("catalog/package_detail.html", detail=detail, package=detail.package, latest=latest,
                           score=score, score_formula=SCORE_FORMULA)


def _feed_response(template: str, mimetype: str):
    packages = queries.latest_packages()
    body = render_template(template, packages=packages, site_url=request.url_root.rstrip("/"))
    response = make_response(body)
    response.mimetype = mimetype
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@blueprint.get("/feeds/packages/latest/rss/")
def feed_latest_rss():
    return _feed_response("catalog/feed_rss.xml", "application/rss+xml")


@blueprint.get("/feeds/packages/latest/atom/")
def feed_latest_atom():
    return _feed_response("catalog/feed_atom.xml", "application/atom+xml")


@blueprint.get("/sitemap.xml")
def sitemap():
    packages, grids, categories = queries.sitemap_entries()
    body = render_template("catalog/sitemap.xml", packages=packages, grids=grids, categories=categories,
                           site_url=request.url_root.rstrip("/"))
    response = make_response(body)
    response.mimetype = "application/xml"
    return response


@blueprint.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /search/",
        "Disallow: /accounts/",
        "Disallow: /moderation/",
        "Disallow: /*/history/",
        f"Sitemap: {url_for('catalog.sitemap', _external=True)}",
    ]
    response = make_response("\n".join(lines) + "\n")
    response.mimetype = "text/plain"
    return response
