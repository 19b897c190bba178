"""Share cards (PNG) of packages, grids and the site, and package badges (SVG)."""

from __future__ import annotations

import html
import re

from flask import Blueprint, Response, abort, current_app, request

from webapp.cards import queries
from webapp.cards.drawing import Card, badge_svg
from webapp.cards.store import card_etag, card_png
from webapp.templating import compact_number, intcomma

blueprint = Blueprint("cards", __name__)

# Social sites and README renderers fetch these again now and then; the ETag makes asking cheap.
CARD_CACHE_CONTROL = "public, max-age=3600"
BADGE_CACHE_CONTROL = "public, max-age=300"
BADGE_METRICS = ("score", "stars")
_TAGS = re.compile(r"<[^>]+>")


def _card_response(name: str, card: Card) -> Response:
    etag = card_etag(card)
    if request.if_none_match.contains(etag):  # the client has this card: no file read, no drawing
        response = Response(status=304)
    else:
        response = Response(card_png(name, card), mimetype="image/png")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CARD_CACHE_CONTROL
    return response


@blueprint.get("/packages/p/<slug>/card.png")
def package_card(slug: str):
    package = queries.package_by_slug(slug)
    if package is None:
        abort(404, f"There is no package “{slug}”.")
    card = Card(site_name=current_app.config["SITE_NAME"], kicker=f"Package · {package.category.title}",
                title=package.title, description=package.repo_description or "",
                figures=((intcomma(package.repo_watchers), "stars"), (intcomma(package.repo_forks), "forks"),
                         (f"{package.score:.1f}", "score")))
    return _card_response(f"package-{package.id}", card)


@blueprint.get("/grids/g/<slug>/card.png")
def grid_card(slug: str):
    found = queries.grid_with_feature_count(slug)
    if found is None:
        abort(404, f"There is no grid “{slug}”.")
    grid, feature_count = found
    description = " ".join(html.unescape(_TAGS.sub(" ", grid.description_html or "")).split())
    card = Card(site_name=current_app.config["SITE_NAME"], kicker="Grid", title=grid.title,
                description=description or f"Packages compared side by side on {current_app.config['SITE_NAME']}.",
                figures=((intcomma(grid.package_count), "packages" if grid.package_count != 1 else "package"),
                         (intcomma(feature_count), "features" if feature_count != 1 else "feature")))
    return _card_response(f"grid-{grid.id}", card)


@blueprint.get("/card.png")
def site_card():
    figures = queries.site_figures()
    card = Card(site_name=current_app.config["SITE_NAME"], kicker="", title="Find, compare and choose reusable "
                "packages", description="A community directory of packages, with side-by-side comparison grids.",
                figures=((intcomma(figures["packages"]), "packages"), (intcomma(figures["grids"]), "grids")))
    return _card_response("site", card)


@blueprint.get("/packages/p/<slug>/badge.svg")
def package_badge(slug: str):
    package = queries.package_by_slug(slug)
    if package is None:
        abort(404, f"There is no package “{slug}”.")
    metric = request.args.get("metric", "score")
    if metric not in BADGE_METRICS:
        abort(400, "metric is score or stars.")
    if metric == "stars":
        value, colour = compact_number(package.repo_watchers), "#4f46e5"
    else:
        value, colour = f"{package.score:.1f}", _score_colour(package.score)
    title = f"{package.title} on {current_app.config['SITE_NAME']}: {metric} {value}"
    response = Response(badge_svg(metric, value, colour, title), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = BADGE_CACHE_CONTROL
    return response


def _score_colour(score: float) -> str:
    """Green for a high score, then yellow-green, yellow, orange; grey for none."""
    for floor, colour in ((60, "#15803d"), (30, "#4c9a2a"), (10, "#b08800"), (0.05, "#c2410c")):
        if score >= floor:
            return colour
    return "#6b7280"
