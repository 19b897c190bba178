"""Configuration, read from environment variables with safe development defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url_from_env(instance_path: str) -> str:
    """Return the SQLAlchemy URL: ``DATABASE_URL`` or a SQLite file under ``instance/``.

    ``postgres://`` and ``postgresql://`` URLs are pointed at psycopg 3.
    """
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'packagegrids.sqlite3'}"
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Make ``postgres://``/``postgresql://`` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping from the environment."""
    env = os.environ
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url_from_env(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SITE_NAME": env.get("SITE_NAME", "Package Grids"),
        "SITE_URL": env.get("SITE_URL", ""),
        "TIME_ZONE": env.get("TIME_ZONE", "UTC"),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "FETCH_IN_PROCESS": not bool(env.get("REDIS_URL")),
        "GITHUB_API_URL": env.get("GITHUB_API_URL", "https://api.github.com"),
        "GITHUB_TOKEN": env.get("GITHUB_TOKEN", ""),
        "GITLAB_API_URL": env.get("GITLAB_API_URL", "https://gitlab.com/api/v4"),
        "GITLAB_TOKEN": env.get("GITLAB_TOKEN", ""),
        "BITBUCKET_API_URL": env.get("BITBUCKET_API_URL", "https://api.bitbucket.org/2.0"),
        "CODEBERG_API_URL": env.get("CODEBERG_API_URL", "https://codeberg.org/api/v1"),
        "PYPI_URL": env.get("PYPI_URL", "https://pypi.org"),
        "GITHUB_WEBHOOK_SECRET": env.get("GITHUB_WEBHOOK_SECRET", ""),
        "GITHUB_CLIENT_ID": env.get("GITHUB_CLIENT_ID", ""),
        "GITHUB_CLIENT_SECRET": env.get("GITHUB_CLIENT_SECRET", ""),
        "GITHUB_OAUTH_URL": env.get("GITHUB_OAUTH_URL", "https://github.com/login/oauth"),
        # Local sign-up (username and password); GitHub sign-in is governed by GITHUB_CLIENT_ID/SECRET alone.
        "ALLOW_SIGNUP": env.get("ALLOW_SIGNUP", "1").strip().lower() not in {"0", "false", "no", "off"},
        "FETCH_TIMEOUT": float(env.get("FETCH_TIMEOUT", "10")),
        # After someone adds a package: "auto" queues the fetch (REDIS_URL) or runs it in a background thread,
        # "sync" fetches inside the request, "off" leaves it to "Fetch now" and the scheduled refresh.
        "FETCH_NEW_PACKAGES": env.get("FETCH_NEW_PACKAGES", "auto").strip().lower(),
        # Fetch service (webapp/fetch): retries, quota pauses, threads, staleness and RQ job settings.
        "BITBUCKET_TOKEN": env.get("BITBUCKET_TOKEN", ""),
        "CODEBERG_TOKEN": env.get("CODEBERG_TOKEN", ""),
        "FETCH_RETRIES": _env_int("FETCH_RETRIES", 2),
        "FETCH_BACKOFF": float(env.get("FETCH_BACKOFF", "1")),
        "FETCH_MAX_QUOTA_WAIT": float(env.get("FETCH_MAX_QUOTA_WAIT", "3900")),
        "FETCH_WORKERS": _env_int("FETCH_WORKERS", 8),
        "FETCH_STALE_AFTER": env.get("FETCH_STALE_AFTER", "24h"),
        "FETCH_JOB_TIMEOUT": _env_int("FETCH_JOB_TIMEOUT", 600),
        "FETCH_JOB_RETRIES": _env_int("FETCH_JOB_RETRIES", 3),
        "FETCH_JOB_RETRY_INTERVALS": env.get("FETCH_JOB_RETRY_INTERVALS", "60,300,1800"),
        "FETCH_JOB_MAX_QUOTA_WAIT": float(env.get("FETCH_JOB_MAX_QUOTA_WAIT", "60")),
        "PACKAGES_PER_PAGE": _env_int("PACKAGES_PER_PAGE", 30),
        "API_RATE_LIMIT": _env_int("API_RATE_LIMIT", 300),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME", "http"),
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
    }
