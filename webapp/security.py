"""Site-wide protections: the secret key, security headers on every response, and absolute URLs that come
from ``SITE_URL`` rather than from whatever ``Host`` header a client sent."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import SecurityError

logger = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"

# Everything the pages load comes from this site: no inline script or style, no eval (htmx's hx-on and its
# inline indicator style are off; see templates/base.html and static/js/site.js). Avatars come from GitHub
# over https.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# -- the secret key -------------------------------------------------------------------------------------------


def ensure_secret_key(app: Flask) -> None:
    """Give ``app`` a secret key: ``SECRET_KEY`` when set, else a random one kept in the instance folder.

    The key is never a value anyone else knows. Every process on this machine reads the same file, so gunicorn
    workers agree; several servers must share one ``SECRET_KEY`` instead.
    """
    if app.config["SECRET_KEY"]:
        return
    path = Path(app.instance_path) / SECRET_KEY_FILE
    key, created = load_or_create_secret_key(path)
    app.config["SECRET_KEY"] = key
    if created:
        logger.warning("SECRET_KEY is not set: created a random key in %s. Sites on several servers must set one "
                       "shared SECRET_KEY.", path)
    else:
        logger.info("SECRET_KEY is not set: using the random key in %s.", path)


def load_or_create_secret_key(path: Path) -> tuple[str, bool]:
    """The key stored at ``path``, made first if there is none; and whether this call made it.

    The new key is written to a private temporary file (mode 600) and hard-linked into place: the link either
    appears complete or fails because another process linked its key first, which is then the one read. So
    processes starting at the same moment agree on one key and nobody reads a half-written file.
    """
    try:
        return _read_secret_key(path), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, key.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _read_secret_key(path), False
    finally:
        temporary.unlink(missing_ok=True)
    return key, True


def _read_secret_key(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} does not hold a usable key: delete it (a new one is made) or set SECRET_KEY.")
    return key


# -- absolute URLs --------------------------------------------------------------------------------------------


def _site_url(app: Flask) -> SplitResult | None:
    site = app.config["SITE_URL"].strip()
    parts = urlsplit(site) if site else None
    return parts if parts is not None and parts.scheme in ("http", "https") and parts.netloc else None


class SiteFlask(Flask):
    """Flask whose absolute URLs (``url_for(..., _external=True)``) use ``SITE_URL`` when it is set.

    Without it they come from the request's ``Host``, which a client chooses; feeds, the sitemap and API
    answers carrying such links are cached publicly, so a forged ``Host`` must not end up in them.
    """

    def create_url_adapter(self, request):  # noqa: D102 - Flask's hook
        adapter = super().create_url_adapter(request)
        site = _site_url(self) if request is not None else None
        if adapter is not None and site is not None:
            adapter.url_scheme = site.scheme
            adapter.server_name = site.netloc
            if site.path.strip("/"):
                adapter.script_name = site.path.rstrip("/") + "/"
        return adapter


def site_root() -> str:
    """The public root URL of the site, ending in ``/``: from ``SITE_URL`` when set, else from the request."""
    site = _site_url(current_app)
    if site is None:
        return request.url_root
    path = site.path.rstrip("/") if site.path.strip("/") else request.script_root
    return f"{site.scheme}://{site.netloc}{path}/"


def site_origin() -> str:
    """``scheme://host`` of the site, without a trailing slash; ``url_for`` paths go after it."""
    site = _site_url(current_app)
    return f"{site.scheme}://{site.netloc}" if site is not None else request.host_url.rstrip("/")


def public_url() -> str:
    """The URL of the current request on :func:`site_root` (``request.url`` with the public host)."""
    return site_root() + request.url[len(request.url_root):]


# -- headers --------------------------------------------------------------------------------------------------


def add_security_headers(response: Response) -> Response:
    """Put the security headers on ``response`` (a view may set its own value first)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def untrusted_host(error: SecurityError) -> Response:
    """400 for a ``Host`` outside ``TRUSTED_HOSTS``: plain text, because no URL can be built for that host."""
    return Response("400 Bad Request: this site does not answer to that host name.\n", status=400,
                    mimetype="text/plain")


def register(app: Flask) -> None:
    """Install the headers on every response ``app`` makes, error pages and static files included, and the
    answer to a request for an untrusted host."""
    app.after_request(add_security_headers)
    app.register_error_handler(SecurityError, untrusted_host)
