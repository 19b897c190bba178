"""The GitHub push webhook: ``POST /packages/github-webhook/`` refreshes the pushed repository's packages."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, current_app, jsonify, request

from webapp.extensions import csrf
from webapp.fetch.queries import packages_for_repository
from webapp.fetch.services import enqueue_or_run_fetch

blueprint = Blueprint("fetch", __name__)


def signature_is_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature-256`` is the HMAC-SHA256 of the body under the configured secret."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


@blueprint.post("/packages/github-webhook/")
@csrf.exempt  # GitHub cannot send a CSRF token; the HMAC signature authenticates the call instead
def github_webhook():
    secret = current_app.config["GITHUB_WEBHOOK_SECRET"]
    if not signature_is_valid(secret, request.get_data(cache=True), request.headers.get("X-Hub-Signature-256")):
        return jsonify(detail="Missing or wrong X-Hub-Signature-256 for this site's webhook secret."), 403
    event = request.headers.get("X-GitHub-Event", "")
    if event == "ping":
        return jsonify(detail="pong")
    if event != "push":
        return jsonify(detail=f"“{event or 'unnamed'}” events are ignored; send push events.", packages=[])
    payload = request.get_json(silent=True)
    repository = payload.get("repository") if isinstance(payload, dict) else None
    if not isinstance(repository, dict) or not isinstance(repository.get("html_url"), str):
        return jsonify(detail="A push payload names its repository in repository.html_url."), 400
    default_branch = repository.get("default_branch") or repository.get("master_branch")
    if default_branch and payload.get("ref") != f"refs/heads/{default_branch}":
        return jsonify(detail="Pushes to branches other than the default one change nothing shown here.",
                       packages=[])
    packages = packages_for_repository(repository["html_url"])
    statuses = {slug: enqueue_or_run_fetch(package_id) for package_id, slug in packages}
    return jsonify(detail=f"{len(packages)} package(s) refreshed or queued.", packages=list(statuses),
                   statuses=statuses)
