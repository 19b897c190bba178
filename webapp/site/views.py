"""The home page, the sitemap and robots.txt."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, url_for

from webapp.security import site_origin
from webapp.site import queries
from webapp.text import xml_safe

blueprint = Blueprint("site", __name__)

AI_CRAWLERS = ("GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "anthropic-ai", "ClaudeBot",
               "Claude-Web", "Bytespider", "PerplexityBot", "Applebot-Extended", "Amazonbot", "cohere-ai",
               "Diffbot", "FacebookBot", "Meta-ExternalAgent", "omgili", "ImagesiftBot", "YouBot")


@blueprint.get("/")
def home():
    return render_template("catalog/home.html", data=queries.home_data())


@blueprint.get("/sitemap.xml")
def sitemap():
    packages, grids, categories = queries.sitemap_entries()
    body = xml_safe(render_template("catalog/sitemap.xml", packages=packages, grids=grids, categories=categories,
                                    site_url=site_origin()))
    response = make_response(body)
    response.mimetype = "application/xml"
    return response


@blueprint.get("/robots.txt")
def robots():
    lines = [
        # AI crawlers, as djangopackages.org turns them away: nothing of the site is for training models.
        *(f"User-agent: {agent}" for agent in AI_CRAWLERS),
        "Disallow: /",
        "",
        "User-agent: *",
        "Disallow: /search/",
        "Disallow: /accounts/",
        "Disallow: /moderation/",
        "Disallow: /staff/",
        "Disallow: /*/history/",
        f"Sitemap: {url_for('site.sitemap', _external=True)}",
    ]
    response = make_response("\n".join(lines) + "\n")
    response.mimetype = "text/plain"
    return response
