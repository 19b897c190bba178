"""The read-only API: v4 (djangopackages.org's current API, browsable) and v3 (its older JSON API)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from webapp.api import openapi, queries, serializers
from webapp.api.http import error, install, render, route
from webapp.api.serializers import Links, remove_query_param, replace_query_param
from webapp.extensions import csrf
from webapp.security import public_url

blueprint = Blueprint("api", __name__, url_prefix="/api/v4")
blueprint_v3 = Blueprint("api_v3", __name__, url_prefix="/api/v3")
for _blueprint in (blueprint, blueprint_v3):
    install(_blueprint)
    # Read-only: a POST must get the API's 405, not a CSRF 400.
    csrf.exempt(_blueprint)

PACKAGE_DESCRIPTION = "API endpoint that allows packages to be viewed or edited."
GRID_DESCRIPTION = "Comparison grids, each with links to the packages it compares."
CATEGORY_DESCRIPTION = "The kinds of packages: apps, frameworks, projects and others."
NOT_FOUND = "Not found."
# Offsets past this are empty anyway; the cap keeps them inside what a database integer holds.
MAX_OFFSET = 2_000_000_000


def _positive_int(value: str | None, *, strict: bool = False) -> int:
    number = int(value)  # type: ignore[arg-type]
    if number < 0 or (strict and number == 0):
        raise ValueError(value)
    return number


def limit_offset(default: int = queries.DEFAULT_LIMIT) -> tuple[int, int]:
    """``limit`` and ``offset`` as DRF's LimitOffsetPagination reads them: junk means the default."""
    try:
        limit = min(_positive_int(request.args.get("limit"), strict=True), queries.MAX_LIMIT)
    except (TypeError, ValueError):
        limit = default
    try:
        offset = min(_positive_int(request.args.get("offset")), MAX_OFFSET)
    except (TypeError, ValueError):
        offset = 0
    return limit, offset


def paginated(window: queries.Window, results: list) -> dict:
    """``count``/``next``/``previous``/``results`` with absolute links, as DRF's LimitOffsetPagination."""
    url = public_url()
    next_link = previous_link = None
    if window.offset + window.limit < window.total:
        next_link = replace_query_param(replace_query_param(url, "limit", window.limit),
                                        "offset", window.offset + window.limit)
    if window.offset > 0:
        previous_link = replace_query_param(url, "limit", window.limit)
        if window.offset - window.limit <= 0:
            previous_link = remove_query_param(previous_link, "offset")
        else:
            previous_link = replace_query_param(previous_link, "offset", window.offset - window.limit)
    return {"count": window.total, "next": next_link, "previous": previous_link, "results": results}


# API v4 --------------------------------------------------------------------------------------------------


@route(blueprint, "/", name="Api Root",
       description="The endpoints of API v4. Every list takes limit and offset; packages and grids are found "
                   "by id or slug. The OpenAPI document is at /api/v4/openapi.json, readable at /api/v4/docs/.")
def root():
    links = Links()
    return render({name: links.endpoint(name) for name in ("packages", "search", "grids", "categories")})


@route(blueprint, "/packages/", name="Package List", description=PACKAGE_DESCRIPTION)
def package_list():
    limit, offset = limit_offset()
    window, grids = queries.package_window(limit, offset)
    links = Links()
    return render(paginated(window, [serializers.package_v4(p, grids[p.id], links) for p in window.items]))


@route(blueprint, "/packages/<lookup>/", name="Package Instance", description=PACKAGE_DESCRIPTION)
def package_detail(lookup: str):
    found = queries.package_by_lookup(lookup)
    if found is None:
        return error(404, NOT_FOUND)
    package, grid_ids = found
    return render(serializers.package_v4(package, grid_ids, Links()))


@route(blueprint, "/categories/", name="Category List", description=CATEGORY_DESCRIPTION)
def category_list():
    limit, offset = limit_offset()
    window = queries.category_window(limit, offset)
    return render(paginated(window, [serializers.category_v4(category) for category in window.items]))


@route(blueprint, "/categories/<lookup>/", name="Category Instance", description=CATEGORY_DESCRIPTION)
def category_detail(lookup: str):
    category = queries.category_by_id(lookup)
    if category is None:
        return error(404, NOT_FOUND)
    return render(serializers.category_v4(category))


@route(blueprint, "/grids/", name="Grid List", description=GRID_DESCRIPTION)
def grid_list():
    limit, offset = limit_offset()
    window, members = queries.grid_window(limit, offset)
    links = Links()
    return render(paginated(window, [serializers.grid_v4(grid, members[grid.id], links) for grid in window.items]))


@route(blueprint, "/grids/<lookup>/", name="Grid Instance", description=GRID_DESCRIPTION)
def grid_detail(lookup: str):
    found = queries.grid_by_lookup(lookup)
    if found is None:
        return error(404, NOT_FOUND)
    grid, package_ids = found
    return render(serializers.grid_v4(grid, package_ids, Links()))


@route(blueprint, "/search/", name="Search List",
       description="Accepts a 'q' GET parameter: packages and grids whose name, description or repository URL "
                   "match, at most 20. An exact name or a pasted repository URL comes first, then matching "
                   "grids, then the other packages by score.")
def search():
    hits = queries.search(request.args.get("q", "")[:200])
    packages = [serializers.search_package_v4(p, hits.last_released.get(p.id)) for p in hits.packages]
    grids = [serializers.search_grid_v4(grid) for grid in hits.grids]
    results = packages[:hits.exact] + grids[:5] + packages[hits.exact:]
    return render(results[:queries.SEARCH_LIMIT])


@route(blueprint, "/openapi.json", name="OpenAPI", description="The OpenAPI 3.1 description of this API.",
       browsable=False)
def openapi_document():
    return render(openapi.document())


@route(blueprint, "/docs/", name="API documentation", description="The OpenAPI document, for people.",
       browsable=False)
def docs():
    document = openapi.document()
    body = render_template("api/docs.html", doc=document, operations=openapi.operations(document),
                           schemas=openapi.schema_rows(document))
    return Response(body, mimetype="text/html")


# API v3 --------------------------------------------------------------------------------------------------


def v3_list(window: queries.Window, objects: list, **extra) -> dict:
    """``meta``/``objects`` with relative ``next``/``previous``, as djangopackages.org's API v3."""
    path = request.path
    limit, offset, total = window.limit, window.offset, window.total
    data = {
        "meta": {
            "limit": limit,
            "next": f"{path}?limit={limit}&offset={offset + limit}" if total > limit + offset else None,
            "offset": offset,
            "previous": f"{path}?limit={limit}&offset={max(offset - limit, 0)}" if offset > 0 else None,
            "total_count": total,
        },
    }
    data.update(extra)
    data["objects"] = objects
    return data


def v3_limit_offset() -> tuple[int, int]:
    """``limit`` and ``offset`` as API v3 reads them (whole numbers, else the defaults), kept in range."""
    def number(name: str, default: int) -> int:
        try:
            return int(request.args.get(name, default))
        except ValueError:
            return default

    return max(1, min(number("limit", queries.DEFAULT_LIMIT), queries.MAX_LIMIT)), \
        max(0, min(number("offset", 0), MAX_OFFSET))


V3 = {"browsable": False}


@route(blueprint_v3, "/", name="API v3", description="The endpoints of API v3.", **V3)
def v3_index():
    base = request.script_root + "/api/v3/"
    return render({name: f"{base}{name}/" for name in ("categories", "grids", "packages", "users")})


@route(blueprint_v3, "/packages/", name="Package List", description="Packages; ?category=<slug> filters.", **V3)
def v3_package_list():
    limit, offset = v3_limit_offset()
    category_slug = request.args.get("category")
    category = queries.category_by_slug(category_slug) if category_slug else None
    window, grids = queries.v3_package_window(limit, offset, category)
    objects = [serializers.package_v3(package, grids[package.id]) for package in window.items]
    return render(v3_list(window, objects, category=serializers.v3_uri("categories", category.slug)
                          if category else None))


@route(blueprint_v3, "/packages/<slug>/", name="Package", description="A package by slug.", **V3)
def v3_package_detail(slug: str):
    found = queries.v3_package(slug)
    if found is None:
        return error(404, NOT_FOUND)
    package, grids = found
    return render(serializers.package_v3(package, grids))


@route(blueprint_v3, "/grids/", name="Grid List", description="Grids.", **V3)
def v3_grid_list():
    limit, offset = v3_limit_offset()
    window, members = queries.v3_grid_window(limit, offset)
    return render(v3_list(window, [serializers.grid_v3(grid, members[grid.id]) for grid in window.items]))


@route(blueprint_v3, "/grids/<slug>/", name="Grid", description="A grid by slug.", **V3)
def v3_grid_detail(slug: str):
    found = queries.v3_grid(slug)
    if found is None:
        return error(404, NOT_FOUND)
    grid, members = found
    return render(serializers.grid_v3(grid, members))


@route(blueprint_v3, "/grids/<slug>/packages/", name="Grid Packages List",
       description="The packages of a grid.", **V3)
def v3_grid_packages(slug: str):
    found = queries.v3_grid(slug)
    if found is None:
        return error(404, NOT_FOUND)
    grid, members = found
    limit, offset = v3_limit_offset()
    window, grids = queries.v3_grid_package_window(grid, limit, offset)
    objects = [serializers.package_v3(package, grids[package.id]) for package in window.items]
    return render(v3_list(window, objects, grid=serializers.grid_v3(grid, members)))


@route(blueprint_v3, "/categories/", name="Category List", description="Categories.", **V3)
def v3_category_list():
    limit, offset = v3_limit_offset()
    window = queries.v3_category_window(limit, offset)
    return render(v3_list(window, [serializers.category_v3(category) for category in window.items]))


@route(blueprint_v3, "/categories/<slug>/", name="Category", description="A category by slug.", **V3)
def v3_category_detail(slug: str):
    category = queries.category_by_slug(slug)
    if category is None:
        return error(404, NOT_FOUND)
    return render(serializers.category_v3(category))


def _signed_out() -> Response | None:
    if not current_user.is_authenticated:
        return error(403, "Authentication credentials were not provided.")
    return None


def _list_packages() -> bool:
    return request.args.get("list_packages", "") not in ("", "0", "false", "False")


@route(blueprint_v3, "/users/", name="User List", description="People with an account (signed in only).",
       private=True, **V3)
def v3_user_list():
    refused = _signed_out()
    if refused is not None:
        return refused
    limit, offset = v3_limit_offset()
    window = queries.v3_user_window(limit, offset)
    packages = queries.package_slugs_by_creator([u.id for u in window.items]) if _list_packages() else None
    objects = [serializers.user_v3(user, packages[user.id] if packages is not None else None)
               for user in window.items]
    return render(v3_list(window, objects))


@route(blueprint_v3, "/users/<username>/", name="User", description="A person by username (signed in only).",
       private=True, **V3)
def v3_user_detail(username: str):
    refused = _signed_out()
    if refused is not None:
        return refused
    user = queries.v3_user(username)
    if user is None:
        return error(404, NOT_FOUND)
    packages = queries.package_slugs_by_creator([user.id])[user.id] if _list_packages() else None
    return render(serializers.user_v3(user, packages))

