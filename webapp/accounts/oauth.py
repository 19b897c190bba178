"""GitHub sign-in through Authlib's Flask client.

The client is on only when ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET`` are set. Its endpoints come from
``GITHUB_OAUTH_URL`` (``/authorize``, ``/access_token``) and ``GITHUB_API_URL`` (``/user``, ``/user/emails``),
so tests point them at a fake server on 127.0.0.1.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app

from webapp.extensions import oauth

SCOPE = "read:user user:email"


def github_enabled(app: Flask | None = None) -> bool:
    """True when GitHub sign-in is configured."""
    config = (app or current_app).config
    return bool(config["GITHUB_CLIENT_ID"] and config["GITHUB_CLIENT_SECRET"])


def _settings(config) -> tuple:
    return (config["GITHUB_CLIENT_ID"], config["GITHUB_CLIENT_SECRET"], config["GITHUB_OAUTH_URL"].rstrip("/"),
            config["GITHUB_API_URL"].rstrip("/"), config["FETCH_TIMEOUT"])


def github_client():
    """The Authlib client for GitHub (registered on :data:`webapp.extensions.oauth`), or ``None`` when GitHub
    sign-in is off.

    The client is registered under a name made from its settings, so a site (or a test) that changes them
    gets a new client without a restart.
    """
    config = current_app.config
    if not github_enabled():
        return None
    settings = _settings(config)
    client_id, client_secret, oauth_url, api_url, timeout = settings
    name = "github-" + hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
    return oauth.create_client(name) or oauth.register(
        name,
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=f"{oauth_url}/authorize",
        access_token_url=f"{oauth_url}/access_token",
        api_base_url=f"{api_url}/",
        client_kwargs={
            "scope": SCOPE,
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": timeout,
        },
    )


def fetch_github_profile(client, token) -> tuple[dict, list | None]:
    """GitHub's ``/user`` answer, and ``/user/emails`` when the profile has no public email.

    Raises ``requests`` errors for failed calls and ``ValueError`` for answers that are not JSON.
    """
    response = client.get("user", token=token, headers={"Accept": "application/vnd.github+json"})
    response.raise_for_status()
    profile = response.json()
    if not isinstance(profile, dict):
        raise ValueError("GitHub's /user answer is not an object")
    emails = None
    if not profile.get("email"):
        response = client.get("user/emails", token=token, headers={"Accept": "application/vnd.github+json"})
        # Without the user:email scope GitHub answers 404; the account is then made without an email.
        if response.ok:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            emails = answer if isinstance(answer, list) else None
    return profile, emails
