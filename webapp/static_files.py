"""Static files: fingerprinted names, precompressed copies, served by WhiteNoise before the app is reached.

At startup every file of ``static/`` is copied into a build folder (``instance/static-build/``, not in the
repository) under its own name and under a name carrying its content's hash (``css/site.3f9c2a1b7d04.css``),
each with a ``.gz`` copy (and ``.br`` with brotli) when that is smaller. ``url_for('static', ...)`` gives the
hashed name, which is ``immutable`` and kept a year by browsers and proxies: a changed file gets a new name.
Files are written only when missing or different, atomically, so workers starting together agree.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host
from whitenoise import WhiteNoise

from webapp.security import SECURITY_HEADERS

try:
    import brotli
except ImportError:  # brotli is optional: .gz copies only
    brotli = None

BUILD_FOLDER = "static-build"
IMMUTABLE = "public, max-age=31536000, immutable"
# A hashed name: ``<stem>.<12 hex digits>.<extension>``.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
COMPRESSIBLE = {".css", ".js", ".svg", ".html", ".txt", ".json", ".xml", ".map", ".ico"}
MANIFEST_KEY = "STATIC_MANIFEST"


def hashed_name(name: str, data: bytes) -> str:
    """``css/site.css`` with the first 12 hex digits of its content's SHA-256 before the extension."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{extension}"


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _write_with_variants(path: Path, data: bytes) -> None:
    _write_if_changed(path, data)
    if path.suffix.lower() not in COMPRESSIBLE:
        return
    variants = [(".gz", lambda: gzip.compress(data, compresslevel=9, mtime=0))]
    if brotli is not None:
        variants.append((".br", lambda: brotli.compress(data)))
    for suffix, compress in variants:
        target = path.with_name(path.name + suffix)
        if HASHED_NAME.search(path.name) and target.exists():
            continue  # a hashed name's content never changes
        compressed = compress()
        if len(compressed) < len(data):
            _write_if_changed(target, compressed)
        else:
            target.unlink(missing_ok=True)


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy ``source`` into ``target`` with hashed names and compressed copies; return name -> hashed name."""
    manifest: dict[str, str] = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        name = path.relative_to(source).as_posix()
        data = path.read_bytes()
        manifest[name] = hashed_name(name, data)
        _write_with_variants(target / name, data)
        _write_with_variants(target / manifest[name], data)
    return manifest


def _add_headers(headers, path: str, url: str) -> None:
    """Static answers leave the app before its ``after_request`` hooks: give them the site's headers here."""
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if HASHED_NAME.search(url):
        headers["Cache-Control"] = IMMUTABLE


class StaticFiles(WhiteNoise):
    """WhiteNoise that leaves requests for an untrusted ``Host`` to the app (which refuses them with 400)."""

    def __init__(self, application, flask_app: Flask, **options) -> None:
        super().__init__(application, **options)
        self.flask_app = flask_app

    def __call__(self, environ, start_response):
        trusted = self.flask_app.config["TRUSTED_HOSTS"]
        if trusted:
            try:
                get_host(environ, trusted_hosts=trusted)
            except SecurityError:
                return self.application(environ, start_response)
        return super().__call__(environ, start_response)


def fingerprint_url(manifest: dict[str, str]):
    """A ``url_defaults`` function: ``url_for('static', filename=name)`` gives the hashed name."""

    def defaults(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            hashed = manifest.get(values.get("filename", ""))
            if hashed is not None:
                values["filename"] = hashed

    return defaults


def serve_static(app: Flask) -> dict[str, str] | None:
    """Build the static folder and serve it through WhiteNoise; return the manifest (name -> hashed name) for
    :func:`fingerprint_url`.

    The development server (``app.debug``) keeps Flask's own static view, so an edited file shows at once:
    then nothing is built and None is returned.
    """
    if app.debug or not app.static_folder:
        return None
    target = Path(app.instance_path) / BUILD_FOLDER
    manifest = build(Path(app.static_folder), target)
    app.config[MANIFEST_KEY] = manifest
    prefix = (app.static_url_path or "/static").strip("/") + "/"
    app.wsgi_app = StaticFiles(app.wsgi_app, app, root=str(target), prefix=prefix, max_age=60,
                               add_headers_function=_add_headers)
    return manifest
