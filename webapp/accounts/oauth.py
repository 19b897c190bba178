"""GitHub sign-in through Authlib's Flask client.

The client is on only when ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET`` are set. Its endpoints come from
``GITHUB_OAUTH_URL`` (``/authorize``, ``/access_token``) and ``GITHUB_API_URL`` (``/user``, ``/user/emails``),
so tests point them at a fake server on 127.0.0.1.
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

EXTENSION_KEY = "accounts.github_oauth"
SCOPE = "read:user user:email"


def init_app(app: Flask) -> None:
    """Prepare the GitHub client slot on ``app`` (the client itself is built on first use)."""
    app.extensions[EXTENSION_KEY] = {"settings": None, "client": None}


def github_enabled(app: Flask | None = None) -> bool:
    """True when GitHub sign-in is configured."""
    config = (app or current_app).config
    return bool(config.get("GITHUB_CLIENT_ID") and config.get("GITHUB_CLIENT_SECRET"))


def _settings(config) -> tuple:
    oauth_url = (config.get("GITHUB_OAUTH_URL") or "https://github.com/login/oauth").rstrip("/")
    api_url = (config.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    return (config["GITHUB_CLIENT_ID"], config["GITHUB_CLIENT_SECRET"], oauth_url, api_url,
            float(config.get("FETCH_TIMEOUT") or 10))


def github_client():
    """The Authlib client for GitHub, or ``None`` when GitHub sign-in is off.

    It is rebuilt when its settings change, so a site (or a test) may change them without a restart.
    """
    app = current_app._get_current_object()
    if not github_enabled(app):
        return None
    slot = app.extensions.setdefault(EXTENSION_KEY, {"settings": None, "client": None})
    settings = _settings(app.config)
    if slot["settings"] != settings:
        client_id, client_secret, oauth_url, api_url, timeout = settings
        registry = OAuth(app)
        client = registry.register(
            "github",
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
        slot.update(settings=settings, client=client)
    return slot["client"]


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
