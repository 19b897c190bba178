"""The OpenAPI 3.1 description of API v4 and API v3, built from the same field lists the serializers use."""

from __future__ import annotations

from flask import current_app

from webapp.api.queries import DEFAULT_LIMIT, MAX_LIMIT, SEARCH_LIMIT
from webapp.security import site_root

DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
URI = {"type": "string", "format": "uri"}
NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}
# Slugs as the site makes them; the pattern also keeps fuzzers to single path segments.
SLUG_PATTERN = r"^[A-Za-z0-9_][-A-Za-z0-9_.]*$"
METHODS = ("get",)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, *, closed: bool = True, description: str = "") -> dict:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def _schemas() -> dict:
    package = _object({
        "category": {**URI, "description": "The category's API URL (by id)."},
        "grids": {"type": "array", "items": URI, "description": "API URLs of the grids the package is in."},
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "slug": {"type": "string"},
        "last_updated": {**NULLABLE_DATETIME, "description": "Date of the last commit."},
        "last_fetched": {**NULLABLE_DATETIME, "description": "When repository and PyPI data were last fetched."},
        "repo_url": {"type": "string"},
        "pypi_version": {"type": ["string", "null"],
                         "description": "The package's current release: PyPI's latest when it is a known, "
                                        "non-yanked release, else the newest final one; null when unknown."},
        "created": DATETIME,
        "modified": DATETIME,
        "repo_forks": {"type": "integer"},
        "repo_description": {"type": "string"},
        "pypi_url": {"type": "string"},
        "documentation_url": {"type": ["string", "null"]},
        "repo_watchers": {"type": "integer", "description": "Stars."},
        "commits_over_52": {"type": "array", "items": {"type": "integer", "minimum": 0},
                            "description": "Commits per week over the last 52 weeks, oldest first; empty when "
                                           "never fetched."},
        "participants": {"type": "array", "items": {"type": "string"}, "description": "Contributors' logins."},
    }, description="A package, with exactly djangopackages.org's keys in its order.")
    category = _object({
        "id": {"type": "integer"}, "title": {"type": "string"}, "slug": {"type": "string"},
        "description": {"type": "string"}, "title_plural": {"type": "string"}, "show_pypi": {"type": "boolean"},
        "created": DATETIME, "modified": DATETIME,
    })
    grid = _object({
        "id": {"type": "integer"}, "title": {"type": "string"}, "slug": {"type": "string"},
        "description": {"type": "string"}, "is_locked": {"type": "boolean"},
        "packages": {"type": "array", "items": URI, "description": "API URLs of the grid's packages."},
        "header": {"type": "boolean"}, "created": DATETIME, "modified": DATETIME,
    })
    search_result = _object({
        "description": {"type": "string"}, "title": {"type": "string"}, "created": DATETIME,
        "modified": DATETIME, "weight": {"type": "integer"},
        "item_type": {"type": "string", "enum": ["package", "grid"]},
        "title_no_prefix": {"type": "string"}, "slug": {"type": "string"}, "slug_no_prefix": {"type": "string"},
        "clean_title": {"type": "string"}, "category": {"type": "string"}, "absolute_url": {"type": "string"},
        "repo_watchers": {"type": "integer"}, "repo_forks": {"type": "integer"},
        "pypi_downloads": {"type": "integer"}, "usage": {"type": "integer"},
        "participants": {"type": "string", "description": "Comma-joined logins."},
        "last_committed": NULLABLE_DATETIME, "last_released": NULLABLE_DATETIME,
    })

    def page_of(name: str) -> dict:
        return _object({
            "count": {"type": "integer", "minimum": 0}, "next": NULLABLE_URI, "previous": NULLABLE_URI,
            "results": {"type": "array", "items": ref(name)},
        })

    v3_meta = _object({
        "limit": {"type": "integer"}, "next": {"type": ["string", "null"]}, "offset": {"type": "integer"},
        "previous": {"type": ["string", "null"]}, "total_count": {"type": "integer"},
    })
    v3_datetime = {"type": ["string", "null"], "description": "ISO 8601, milliseconds at most."}
    v3_category = _object({
        "absolute_url": {"type": "string"}, "created": v3_datetime, "modified": v3_datetime,
        "slug": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
        "resource_uri": {"type": "string"}, "show_pypi": {"type": "boolean"}, "title_plural": {"type": "string"},
    })
    v3_grid = _object({
        "absolute_url": {"type": "string"}, "created": v3_datetime, "modified": v3_datetime,
        "slug": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
        "is_locked": {"type": "boolean"}, "resource_uri": {"type": "string"}, "header": {"type": "boolean"},
        "packages": {"type": "array", "items": {"type": "string"}},
    })
    v3_package = _object({
        "absolute_url": {"type": "string"}, "created": v3_datetime, "modified": v3_datetime,
        "slug": {"type": "string"}, "title": {"type": "string"}, "category": {"type": "string"},
        "commit_list": {"type": "string", "description": "The weekly commits as a JSON list in a string."},
        "commits_over_52": {"type": "string", "description": "Comma-joined weekly commits."},
        "created_by": {"type": ["string", "null"]}, "documentation_url": {"type": "string"},
        "grids": {"type": "array", "items": {"type": "string"}}, "last_fetched": v3_datetime,
        "last_modified_by": {"type": ["string", "null"]},
        "participants": {"type": "string", "description": "Comma-joined logins."},
        "pypi_url": {"type": "string"}, "pypi_version": {"type": "string"},
        "repo_description": {"type": "string"}, "repo_forks": {"type": "integer"}, "repo_url": {"type": "string"},
        "repo_watchers": {"type": "integer"}, "resource_uri": {"type": "string"}, "usage_count": {"type": "integer"},
    })
    v3_user = {
        **_object({
            "absolute_url": {"type": "string"}, "resource_uri": {"type": "string"}, "created": v3_datetime,
            "modified": v3_datetime, "github_account": {"type": "string"}, "username": {"type": "string"},
            "date_joined": v3_datetime, "last_login": v3_datetime, "bitbucket_url": {"type": "string"},
            "google_code_url": {"type": "string"},
        }),
    }
    v3_user["properties"]["packages"] = {"type": "array", "items": {"type": "string"},
                                         "description": "Only with ?list_packages=1."}

    def v3_list(name: str, **extra) -> dict:
        return _object({"meta": ref("V3Meta"), **extra, "objects": {"type": "array", "items": ref(name)}})

    return {
        "Error": _object({"detail": {"type": "string"}}),
        "Root": _object({name: URI for name in ("packages", "search", "grids", "categories")}),
        "Package": package,
        "Category": category,
        "Grid": grid,
        "SearchResult": search_result,
        "PackageList": page_of("Package"),
        "CategoryList": page_of("Category"),
        "GridList": page_of("Grid"),
        "Options": _object({"name": {"type": "string"}, "description": {"type": "string"},
                            "renders": {"type": "array", "items": {"type": "string"}},
                            "parses": {"type": "array", "items": {"type": "string"}}}),
        "V3Index": _object({name: {"type": "string"} for name in ("categories", "grids", "packages", "users")}),
        "V3Meta": v3_meta,
        "V3Category": v3_category,
        "V3Grid": v3_grid,
        "V3Package": v3_package,
        "V3User": v3_user,
        "V3PackageList": v3_list("V3Package", category={"type": ["string", "null"]}),
        "V3GridList": v3_list("V3Grid"),
        "V3GridPackageList": v3_list("V3Package", grid=ref("V3Grid")),
        "V3CategoryList": v3_list("V3Category"),
        "V3UserList": v3_list("V3User"),
    }


def _parameters() -> dict:
    return {
        "limit": {"name": "limit", "in": "query", "required": False,
                  "description": f"How many results per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        "offset": {"name": "offset", "in": "query", "required": False,
                   "description": "How many results to skip.",
                   "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000}},
        "format": {"name": "format", "in": "query", "required": False,
                   "description": "json (the default) or api (the browsable HTML page).",
                   "schema": {"type": "string", "enum": ["json", "api"]}},
        "idOrSlug": {"name": "id_or_slug", "in": "path", "required": True,
                     "description": "A numeric id, or a slug.",
                     "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 100}},
        "id": {"name": "id", "in": "path", "required": True, "description": "A numeric id.",
               "schema": {"type": "integer", "minimum": 1, "maximum": 2_000_000_000}},
        "slug": {"name": "slug", "in": "path", "required": True, "description": "A slug.",
                 "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 100}},
        "username": {"name": "username", "in": "path", "required": True, "description": "A username.",
                     "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 150}},
    }


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _ok(schema_name: str, description: str, browsable: bool = True) -> dict:
    content = {"application/json": {"schema": ref(schema_name)}}
    if browsable:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content,
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}


def _operation(operation_id: str, summary: str, ok: dict, *, tag: str, parameters=(), not_found: bool = False,
               description: str = "", signed_in: bool = False) -> dict:
    responses = {"200": ok, "304": {"description": "Not modified: the ETag given in If-None-Match still holds."}}
    # Errors come in the negotiated format too: the browsable page shows them with ?format=api.
    error_content = {"application/json": {"schema": ref("Error")}}
    if "text/html" in ok.get("content", {}) and "application/json" in ok.get("content", {}):
        error_content["text/html"] = {"schema": {"type": "string"}}
    if not_found:
        responses["404"] = {"description": "No such object.", "content": error_content}
    if signed_in:
        responses["403"] = {"description": "Not signed in.", "content": error_content}
    responses["429"] = {
        "description": "Too many requests from this address this minute.",
        "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
        "content": error_content,
    }
    operation = {"operationId": operation_id, "summary": summary, "tags": [tag],
                 "parameters": [_param(p) if isinstance(p, str) else p for p in parameters], "responses": responses}
    if description:
        operation["description"] = description
    if signed_in:
        operation["security"] = [{"session": []}]
    return operation


QUERY = {"name": "q", "in": "query", "required": False, "description": "Words to look for, or a repository URL.",
         "schema": {"type": "string", "maxLength": 200}}
CATEGORY = {"name": "category", "in": "query", "required": False, "description": "Only this category (a slug).",
            "schema": {"type": "string", "maxLength": 100}}
LIST_PACKAGES = {"name": "list_packages", "in": "query", "required": False,
                 "description": "Any value but 0 or false adds the packages each person added.",
                 "schema": {"type": "string", "maxLength": 10}}


def _paths() -> dict:
    v4, v3 = "API v4", "API v3"
    browse = ("format",)
    pages = ("limit", "offset", "format")
    v3_pages = ("limit", "offset")
    return {
        "/api/v4/": {"get": _operation("v4Root", "The endpoints", _ok("Root", "Links to every list."), tag=v4,
                                       parameters=browse)},
        "/api/v4/packages/": {"get": _operation(
            "v4PackageList", "Packages, newest first", _ok("PackageList", "One page of packages."), tag=v4,
            parameters=pages)},
        "/api/v4/packages/{id_or_slug}/": {"get": _operation(
            "v4Package", "A package by id or slug", _ok("Package", "The package."), tag=v4,
            parameters=("idOrSlug", "format"), not_found=True)},
        "/api/v4/categories/": {"get": _operation(
            "v4CategoryList", "Categories, newest first", _ok("CategoryList", "One page of categories."), tag=v4,
            parameters=pages)},
        "/api/v4/categories/{id}/": {"get": _operation(
            "v4Category", "A category by id", _ok("Category", "The category."), tag=v4,
            parameters=("id", "format"), not_found=True)},
        "/api/v4/grids/": {"get": _operation(
            "v4GridList", "Grids, newest first", _ok("GridList", "One page of grids."), tag=v4, parameters=pages)},
        "/api/v4/grids/{id_or_slug}/": {"get": _operation(
            "v4Grid", "A grid by id or slug", _ok("Grid", "The grid."), tag=v4,
            parameters=("idOrSlug", "format"), not_found=True)},
        "/api/v4/search/": {"get": _operation(
            "v4Search", "Search packages and grids",
            {**_ok("SearchResult", f"At most {SEARCH_LIMIT} results, best first."),
             "content": {"application/json": {"schema": {"type": "array", "items": ref("SearchResult"),
                                                          "maxItems": SEARCH_LIMIT}},
                         "text/html": {"schema": {"type": "string"}}}},
            tag=v4, parameters=(QUERY, "format"))},
        "/api/v4/openapi.json": {"get": _operation(
            "openapiDocument", "This document",
            {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}},
            tag=v4)},
        "/api/v4/docs/": {"get": _operation(
            "openapiDocs", "This document, for people",
            {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}, tag=v4)},
        "/api/v3/": {"get": _operation("v3Index", "The endpoints", _ok("V3Index", "Relative links.", False),
                                       tag=v3)},
        "/api/v3/packages/": {"get": _operation(
            "v3PackageList", "Packages", _ok("V3PackageList", "One page of packages.", False), tag=v3,
            parameters=(*v3_pages, CATEGORY))},
        "/api/v3/packages/{slug}/": {"get": _operation(
            "v3Package", "A package by slug", _ok("V3Package", "The package.", False), tag=v3,
            parameters=("slug",), not_found=True)},
        "/api/v3/grids/": {"get": _operation(
            "v3GridList", "Grids", _ok("V3GridList", "One page of grids.", False), tag=v3, parameters=v3_pages)},
        "/api/v3/grids/{slug}/": {"get": _operation(
            "v3Grid", "A grid by slug", _ok("V3Grid", "The grid.", False), tag=v3, parameters=("slug",),
            not_found=True)},
        "/api/v3/grids/{slug}/packages/": {"get": _operation(
            "v3GridPackages", "The packages of a grid", _ok("V3GridPackageList", "One page of packages.", False),
            tag=v3, parameters=("slug", "limit", "offset"), not_found=True)},
        "/api/v3/categories/": {"get": _operation(
            "v3CategoryList", "Categories", _ok("V3CategoryList", "One page of categories.", False), tag=v3,
            parameters=v3_pages)},
        "/api/v3/categories/{slug}/": {"get": _operation(
            "v3Category", "A category by slug", _ok("V3Category", "The category.", False), tag=v3,
            parameters=("slug",), not_found=True)},
        "/api/v3/users/": {"get": _operation(
            "v3UserList", "People (signed in only)", _ok("V3UserList", "One page of people.", False), tag=v3,
            parameters=(*v3_pages, LIST_PACKAGES), signed_in=True)},
        "/api/v3/users/{username}/": {"get": _operation(
            "v3User", "A person by username (signed in only)", _ok("V3User", "The person.", False), tag=v3,
            parameters=("username", LIST_PACKAGES), not_found=True, signed_in=True)},
    }


def document() -> dict:
    """The OpenAPI 3.1 document for the API as served to the current request."""
    limit = current_app.config["API_RATE_LIMIT"]
    rate = (f"Anonymous clients may make {limit} requests a minute per address; past that the answer is 429 "
            "with a Retry-After header." if limit else "There is no rate limit.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{current_app.config['SITE_NAME']} API",
            "version": "4.0.0",
            "description": (
                "A read-only API compatible with djangopackages.org's API v4 and API v3. JSON by default and "
                "with ?format=json; ?format=api (or a browser asking for text/html) gives the browsable page. "
                "Links are absolute and keep the format argument. Datetimes are ISO 8601 in the site's time "
                "zone. Every answer has an ETag (send it back in If-None-Match for a 304), "
                "Access-Control-Allow-Origin: * and Allow: GET, HEAD, OPTIONS. " + rate
            ),
        },
        "servers": [{"url": site_root().rstrip("/") or "/"}],
        "tags": [{"name": "API v4", "description": "djangopackages.org's current API."},
                 {"name": "API v3", "description": "The older API, for existing clients."}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "headers": {
                "ETag": {"description": "A validator of the body, for If-None-Match.", "schema": {"type": "string"}},
                "RetryAfter": {"description": "Seconds until requests are allowed again.",
                               "schema": {"type": "integer"}},
            },
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session",
                                            "description": "The site's session cookie, after signing in."}},
        },
    }


# For the human page ------------------------------------------------------------------------------------------


def type_label(schema: dict) -> str:
    """A short type for people: ``Package``, ``array of string``, ``string | null``."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "object")
    if kind == "array":
        return "array of " + type_label(schema.get("items", {}))
    label = " | ".join(kind) if isinstance(kind, list) else kind
    if schema.get("format"):
        label += f" ({schema['format']})"
    if schema.get("enum"):
        label += ": " + ", ".join(str(value) for value in schema["enum"])
    return label


def operations(document: dict) -> list[dict]:
    """Every operation, with its parameters and responses resolved, in document order."""
    parameters = document["components"]["parameters"]
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            params = []
            for param in operation.get("parameters", []):
                if "$ref" in param:
                    param = parameters[param["$ref"].rsplit("/", 1)[-1]]
                params.append({"name": param["name"], "in": param["in"], "required": param.get("required", False),
                               "type": type_label(param["schema"]), "description": param.get("description", "")})
            responses = []
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                responses.append({"status": status, "description": response.get("description", ""),
                                  "types": [f"{media}: {type_label(body.get('schema', {}))}"
                                            for media, body in content.items()]})
            found.append({"method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                          "description": operation.get("description", ""), "tag": operation["tags"][0],
                          "id": operation["operationId"], "parameters": params, "responses": responses,
                          "signed_in": bool(operation.get("security"))})
    return found


def schema_rows(document: dict) -> list[dict]:
    """Each schema with its fields, for the human page."""
    rows = []
    for name, schema in document["components"]["schemas"].items():
        required = set(schema.get("required", []))
        fields = [{"name": field, "type": type_label(spec), "required": field in required,
                   "description": spec.get("description", "")}
                  for field, spec in schema.get("properties", {}).items()]
        rows.append({"name": name, "description": schema.get("description", ""), "fields": fields})
    return rows
