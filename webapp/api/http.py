"""How the API speaks HTTP: routes with a name and description, content negotiation (JSON or the browsable
HTML page), OPTIONS metadata, 405s with the right ``Allow``, ETags and 304s, caching, CORS and the rate limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup, escape
from werkzeug.http import HTTP_STATUS_CODES

from webapp.extensions import api_rate_limiter
from webapp.http_cache import body_etag

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOW_HEADER = ", ".join(ALLOWED_METHODS)
# Routed so that they get the API's own 405 (with its Allow header) rather than Flask's.
REFUSED_METHODS = ("POST", "PUT", "PATCH", "DELETE")
RENDERS = ["application/json", "text/html"]
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
JSON_TYPE = "application/json"
PUBLIC_MAX_AGE = 60
# Per-request notes kept in the WSGI environ (``g`` outlives a request when an app context is shared).
HTML_FLAG = "packagegrids.api.html"
RATE_DECISION = "packagegrids.api.rate"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining",
}


@dataclass(frozen=True)
class ViewInfo:
    """What the browsable page and OPTIONS say about a view."""

    name: str
    description: str
    browsable: bool  # False: JSON only (API v3, as djangopackages.org serves it)
    private: bool = False  # depends on who is signed in: never cached publicly


VIEWS: dict[str, ViewInfo] = {}


def route(blueprint: Blueprint, rule: str, *, name: str, description: str, browsable: bool = True,
          private: bool = False) -> Callable:
    """Register a read-only API view under ``rule`` with the name and description it shows."""

    def decorator(view: Callable) -> Callable:
        VIEWS[f"{blueprint.name}.{view.__name__}"] = ViewInfo(name, description, browsable, private)
        blueprint.add_url_rule(rule, view_func=view, methods=["GET", "OPTIONS", *REFUSED_METHODS],
                               provide_automatic_options=False, strict_slashes=True)
        return view

    return decorator


def view_info() -> ViewInfo:
    return VIEWS.get(request.endpoint or "", ViewInfo("Api", "", browsable=False))


class UnknownFormat(Exception):
    """``?format=`` names no renderer."""


def wants_html() -> bool:
    """True when the browsable page is wanted: ``?format=api``, or a browser's ``Accept: text/html``."""
    if not view_info().browsable:
        return False
    chosen = request.args.get("format")
    if chosen is not None:
        if chosen == "api":
            return True
        if chosen == "json":
            return False
        raise UnknownFormat(chosen)
    # As DRF: the client's most specific acceptable type picks the renderer; JSON is first for "*/*".
    for mimetype, _quality in request.accept_mimetypes:
        if mimetype in ("application/json", "application/*"):
            return False
        if mimetype in ("text/html", "text/*"):
            return True
        if mimetype == "*/*":
            return False
    return False


def dumps_compact(data) -> str:
    """JSON as DRF writes it: compact, UTF-8, keys in the order given."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps_pretty(data) -> str:
    """JSON as the browsable page shows it: four-space indentation."""
    return json.dumps(data, ensure_ascii=False, indent=4, allow_nan=False)


_JSON_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?'
    r'|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    r'|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)'
)
_URL = re.compile(r"^https?://[^\s\"\\]+$")


def highlight_json(text: str) -> Markup:
    """Escape pretty JSON for HTML, colour its tokens and link every URL (keeping its ``?format=``).

    Only tags are added: the page's text stays exactly the JSON.
    """
    parts: list[str] = []
    position = 0
    for match in _JSON_TOKEN.finditer(text):
        parts.append(str(escape(text[position:match.start()])))
        if match.group("string") is not None:
            token = match.group("string")
            inner = token[1:-1]
            if match.group("colon") is not None:
                parts.append(f'<span class="j-key">{escape(token)}</span>{escape(match.group("colon"))}')
            elif _URL.match(inner):
                url = escape(inner)
                parts.append(f'<span class="j-str">"<a href="{url}" rel="nofollow">{url}</a>"</span>')
            else:
                parts.append(f'<span class="j-str">{escape(token)}</span>')
        elif match.group("number") is not None:
            parts.append(f'<span class="j-num">{escape(match.group("number"))}</span>')
        else:
            parts.append(f'<span class="j-lit">{escape(match.group("literal"))}</span>')
        position = match.end()
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


def _request_line() -> str:
    query = request.query_string.decode("latin-1")
    return f"{request.method} {request.path}" + (f"?{query}" if query else "")


def _breadcrumbs() -> list[tuple[str, str]]:
    """Links for each API level above the current page, keeping ``?format=api``."""
    parts = [part for part in request.path.strip("/").split("/") if part]
    crumbs = []
    suffix = "?format=api" if request.args.get("format") == "api" else ""
    for index in range(2, len(parts)):
        path = "/" + "/".join(parts[:index]) + "/"
        crumbs.append((parts[index - 1] if index > 2 else "API " + parts[1], path + suffix))
    return crumbs


def render(data, status: int = 200, headers: dict | None = None) -> Response:
    """The response for ``data`` in the negotiated format."""
    info = view_info()
    try:
        html = wants_html()
    except UnknownFormat:
        html, data, status = False, {"detail": "Not found."}, 404
    json_headers = {"Allow": ALLOW_HEADER, "Content-Type": JSON_TYPE, "Vary": "Accept"}
    if html:
        body = render_template(
            "api/browsable.html", info=info, request_line=_request_line(),
            status_line=f"HTTP {status} {HTTP_STATUS_CODES.get(status, '')}".rstrip(),
            shown_headers=json_headers, body=highlight_json(dumps_pretty(data)), crumbs=_breadcrumbs(),
            json_url=_with_format("json"), status=status,
        )
        response = Response(body, status=status, mimetype="text/html")
        request.environ[HTML_FLAG] = True
    else:
        compact = dumps_compact(data) if info.browsable else json.dumps(data, ensure_ascii=False)
        response = Response(compact, status=status, mimetype=JSON_TYPE)
        response.headers["Content-Type"] = JSON_TYPE
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _with_format(value: str) -> str:
    arguments = request.args.to_dict(flat=False)
    arguments["format"] = [value]
    return request.path + "?" + urlencode(sorted(arguments.items()), doseq=True)


def error(status: int, detail: str, headers: dict | None = None) -> Response:
    """An error as DRF gives it: ``{"detail": ...}`` in the negotiated format."""
    return render({"detail": detail}, status=status, headers=headers)


def options_response() -> Response:
    """What OPTIONS says about a view, as DRF's SimpleMetadata."""
    info = view_info()
    data = {"name": info.name, "description": info.description,
            "renders": RENDERS if info.browsable else [JSON_TYPE], "parses": PARSES}
    response = render(data)
    if request.headers.get("Access-Control-Request-Method"):
        response.headers["Access-Control-Allow-Methods"] = ALLOW_HEADER
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _is_signed_in() -> bool:
    """Signed in, without touching the session of a client that has none (so public answers stay public)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False
    from flask_login import current_user

    return bool(current_user.is_authenticated)


def before_request():
    """The rate limit, then the methods the API answers without running a view."""
    if not _is_signed_in():
        limit = current_app.config["API_RATE_LIMIT"]
        if limit > 0:
            # The page cache's front may have counted this request already (front_guard).
            decision = request.environ.get(RATE_DECISION) or api_rate_limiter.check(request.remote_addr or "unknown",
                                                                                    limit)
            request.environ[RATE_DECISION] = decision
            if not decision.allowed:
                wait = decision.retry_after
                return error(429, f"Request was throttled. Expected available in {wait} second"
                                  f"{'s' if wait != 1 else ''}.", {"Retry-After": str(wait)})
    if request.method in REFUSED_METHODS:
        return error(405, f'Method "{request.method}" not allowed.')
    if request.method == "OPTIONS":
        return options_response()
    return None


def front_guard(environ: dict) -> dict[str, str] | None:
    """The rate limit for an API answer the page cache's front (webapp/page_cache.py) is about to give from the
    cache: the headers the answer carries, or None (over the limit) to let the app answer with its 429."""
    limit = current_app.config["API_RATE_LIMIT"]
    if limit <= 0:
        return {}
    decision = api_rate_limiter.check(environ.get("REMOTE_ADDR") or "unknown", limit)
    environ[RATE_DECISION] = decision
    if not decision.allowed:
        return None
    return rate_headers(decision)


def rate_headers(decision) -> dict[str, str]:
    """The ``X-RateLimit-*`` headers of one rate-limit decision."""
    return {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}


def after_request(response: Response) -> Response:
    """Headers every API answer carries, and a 304 when the client already has this body."""
    response.headers["Allow"] = ALLOW_HEADER
    response.vary.add("Accept")
    for key, value in CORS_HEADERS.items():
        response.headers.setdefault(key, value)
    decision = request.environ.get(RATE_DECISION)
    if decision is not None:
        response.headers.update(rate_headers(decision))
    if "Cache-Control" not in response.headers:
        if response.status_code == 429:
            response.headers["Cache-Control"] = "no-store"
        elif response.status_code == 200 and not request.environ.get(HTML_FLAG) and not view_info().private:
            response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        else:
            # Pages with a session (the browsable page carries a CSRF token) or answers per person.
            response.headers["Cache-Control"] = "private, no-cache"
    if not response.direct_passthrough and response.status_code != 304:
        # Errors too carry an ETag; the 304 itself is the app's (webapp/http_cache.py), as for every page.
        body_etag(response)
    return response


def fix_allow_header(response: Response) -> Response:
    """Methods no route knows (e.g. TRACE) are refused by Flask itself: give those 405s the API's Allow."""
    if response.status_code == 405 and request.path.startswith(("/api/v3/", "/api/v4/")):
        response.headers["Allow"] = ALLOW_HEADER
    return response


def install(blueprint: Blueprint) -> None:
    """Attach the API's HTTP manners to ``blueprint``."""
    blueprint.before_request(before_request)
    blueprint.after_request(after_request)
