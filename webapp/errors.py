"""Error pages: HTML for people, JSON for API clients and HTMX fragments for HTMX requests."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from webapp.htmx import is_htmx
from webapp.text import describe_size

logger = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "We could not find that page.",
    405: "That method is not allowed here.",
    413: "That request is too large for this site.",
    429: "Too many requests. Please slow down and try again shortly.",
    500: "Something went wrong on our side. It has been logged.",
}


# Endpoints outside /api/ whose callers are programs (GitHub's webhook deliveries): errors in JSON.
JSON_ENDPOINTS = {"fetch.github_webhook"}


# app.extensions key: functions asked, in order, for a redirect instead of a 404 page (None: not theirs).
NOT_FOUND_REDIRECTS = "not_found_redirects"


def wants_json() -> bool:
    """True for API paths, machine endpoints and clients that ask for JSON."""
    if request.path.startswith("/api/") or request.endpoint in JSON_ENDPOINTS:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, message: str | None = None, headers: dict | None = None):
    """Render an error response in the format the client wants."""
    message = message or MESSAGES.get(code, "Error")
    if wants_json():
        response = jsonify(detail=message)
    else:
        template = "errors/fragment.html" if is_htmx() else "errors/error.html"
        response = render_template(template, code=code, message=message)
    response = response if not isinstance(response, str) else (response, code)
    if isinstance(response, tuple):
        from flask import make_response

        response = make_response(response)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, f"Your form expired or was sent without its security token ({error.description}). "
                                 "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        if error.code == 405 and error.valid_methods:
            order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
            headers["Allow"] = ", ".join(sorted(error.valid_methods,
                                                key=lambda m: order.index(m) if m in order else 99))
        if error.code == 404:
            # A page that moved (a renamed grid): the domains that know register a finder in the app factory.
            for moved_to in current_app.extensions.get(NOT_FOUND_REDIRECTS, ()):
                redirect = moved_to()
                if redirect is not None:
                    return redirect
        message = MESSAGES.get(error.code) if error.description == type(error).description else error.description
        return render_error(error.code or 500, message, headers)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        length = request.content_length
        if limit and (length is None or length > limit):
            message = f"That request is too large: this site accepts at most {describe_size(limit)} per request."
        else:  # Flask's MAX_FORM_MEMORY_SIZE or MAX_FORM_PARTS
            message = "That form is too large: a field is longer than this site accepts, or it has too many fields."
        return render_error(413, message)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        original = getattr(error, "original_exception", None)
        if original is not None:
            logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=original)
        from webapp.extensions import db

        db.session.rollback()
        return render_error(500)
