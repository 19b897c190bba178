"""HTMX requests in one place: what the request asks for, and the ``Vary`` its answer needs.

An answer that depends on an ``HX-*`` request header must say so in ``Vary``, or a cache (the browser's, a
proxy's) could serve a fragment made for HTMX as the full page, or the other way round. Every read goes
through the helpers below, which remember the headers they read; :func:`add_vary` (installed by the app
factory as an ``after_request`` hook) names them in ``Vary`` on the answer, whichever way the view chose.
"""

from __future__ import annotations

from flask import Response, g, make_response, request

REQUEST = "HX-Request"
TARGET = "HX-Target"
CURRENT_URL = "HX-Current-URL"
REDIRECT = "HX-Redirect"


def _read(header: str) -> str | None:
    consulted = g.setdefault("htmx_headers_read", [])
    if header not in consulted:
        consulted.append(header)
    return request.headers.get(header)


def is_htmx(target: str | None = None) -> bool:
    """True when HTMX made this request; with ``target``, only when it will swap the element of that id."""
    if _read(REQUEST) != "true":
        return False
    return target is None or htmx_target() == target


def htmx_target() -> str | None:
    """The id of the element HTMX will swap the answer into (``HX-Target``), if any."""
    return _read(TARGET)


def htmx_current_url() -> str | None:
    """The address of the page HTMX made the request from (``HX-Current-URL``), if any."""
    return _read(CURRENT_URL)


def htmx_redirect(location: str, status: int = 200) -> Response:
    """An empty answer telling HTMX to load ``location`` as a whole page (``HX-Redirect``)."""
    response = make_response("", status)
    response.headers[REDIRECT] = location
    return response


def add_vary(response: Response) -> Response:
    """Name in ``Vary`` every ``HX-*`` header this request's answer was chosen by."""
    for header in g.get("htmx_headers_read", ()):
        response.vary.add(header)
    return response
