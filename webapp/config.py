"""Configuration, read from environment variables with safe development defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
# A wheel carries templates/, static/ and migrations/ inside the package (see setup.py); a checkout keeps
# them at its top level, beside webapp/.
INSTALLED_FROM_WHEEL = (PACKAGE_ROOT / "templates").is_dir()


def resource_path(name: str) -> Path:
    """The folder ``templates``, ``static`` or ``migrations``, in a checkout or in an installed wheel."""
    return (PACKAGE_ROOT if INSTALLED_FROM_WHEEL else PROJECT_ROOT) / name


def default_instance_path() -> str | None:
    """``INSTANCE_PATH``, else ``instance/`` of the checkout, else None (Flask's ``<prefix>/var/webapp-instance``)."""
    if os.environ.get("INSTANCE_PATH"):
        return os.environ["INSTANCE_PATH"]
    return None if INSTALLED_FROM_WHEEL else str(PROJECT_ROOT / "instance")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_list(name: str) -> list[str] | None:
    """A comma-separated variable as a list, or ``None`` when it is unset or empty."""
    items = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return items or None


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
        # Empty: create_app uses a random key kept in instance/secret_key (webapp/security.py).
        "SECRET_KEY": env.get("SECRET_KEY", ""),
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
        # Bounds on reading other servers (fetch service and importer): a total deadline per request, one per
        # package fetch (quota pauses aside), one for all the fetches a web request makes (under gunicorn's 30 s
        # worker timeout), and the largest answer read (PyPI's JSON for Django is a few MB).
        "FETCH_DEADLINE": float(env.get("FETCH_DEADLINE", "30")),
        "FETCH_PACKAGE_DEADLINE": float(env.get("FETCH_PACKAGE_DEADLINE", "180")),
        "FETCH_REQUEST_DEADLINE": float(env.get("FETCH_REQUEST_DEADLINE", "20")),
        "FETCH_MAX_BYTES": _env_int("FETCH_MAX_BYTES", 20 * 1024 * 1024),
        # Largest request body accepted (413 past it, before anything is read); form fields and parts too.
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": _env_int("MAX_FORM_MEMORY_SIZE", 500_000),
        "MAX_FORM_PARTS": _env_int("MAX_FORM_PARTS", 1000),
        "PACKAGES_PER_PAGE": _env_int("PACKAGES_PER_PAGE", 30),
        "API_RATE_LIMIT": _env_int("API_RATE_LIMIT", 300),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_DURATION": timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 30)),
        # Host headers accepted (others get 400); None accepts any. Flask checks it on every request.
        "TRUSTED_HOSTS": _env_list("TRUSTED_HOSTS"),
        # Throttles on sign-in, sign-up and "Fetch now" (Flask-Limiter; webapp/throttle.py), counted in Redis
        # when REDIS_URL is set.
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1").strip().lower() not in {"0", "false", "no", "off"},
        "LOGIN_RATE_LIMIT_ACCOUNT": env.get("LOGIN_RATE_LIMIT_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_RATE_LIMIT_ADDRESS": env.get("LOGIN_RATE_LIMIT_ADDRESS", "50 per 15 minutes"),
        "SIGNUP_RATE_LIMIT": env.get("SIGNUP_RATE_LIMIT", "10 per hour"),
        "FETCH_NOW_RATE_LIMIT": env.get("FETCH_NOW_RATE_LIMIT", "10 per hour"),
        "WTF_CSRF_TIME_LIMIT": None,
        "PREFERRED_URL_SCHEME": env.get("PREFERRED_URL_SCHEME", "http"),
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
    }
