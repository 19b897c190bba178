"""Configuration: every setting read from environment variables, parsed once, with its default, in one place.

Durations are ``timedelta``, lists are lists, flags are ``bool``; code reads ``app.config["X"]`` so a typo fails
loudly. A malformed variable (``FETCH_TIMEOUT=abc``) stops the app at startup with a message naming it.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


class ConfigError(ValueError):
    """An environment variable whose value cannot be read; the message names the variable."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``7d``, ``2w`` (a bare number is seconds)."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"“{text}” is not a duration such as 30m, 24h or 7d")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_bool(text: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``, in any case."""
    lowered = text.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ValueError(f"“{text}” is not 1 or 0 (true/false, yes/no, on/off)")


def parse_list(text: str) -> list[str]:
    """A comma-separated list, blanks dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _number(kind: type, minimum: float | None = None) -> Callable[[str], Any]:
    def parse(text: str):
        try:
            value = kind(text.strip())
        except ValueError:
            raise ValueError(f"“{text}” is not {'a whole number' if kind is int else 'a number'}") from None
        if minimum is not None and value < minimum:
            raise ValueError(f"{value} is below the smallest allowed value, {minimum}")
        return value

    return parse


def _seconds_list(text: str) -> list[int]:
    return [int(parse_duration(item).total_seconds()) for item in parse_list(text)]


def _hosts(text: str) -> list[str] | None:
    return parse_list(text) or None  # Flask: None accepts any host


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"“{text}” is not one of {', '.join(choices)}")
        return value

    return parse


def _rate_limit(text: str) -> str:
    from limits import parse_many

    parse_many(text)  # raises ValueError with the limits library's explanation
    return text


def _time_zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"“{text}” is not a time zone name such as UTC or Europe/Paris") from None
    return text


def _days(text: str) -> timedelta:
    return timedelta(days=_number(int, minimum=0)(text))


@dataclass(frozen=True)
class Setting:
    """One setting: its key in ``app.config``, the environment variable it comes from, how the variable's
    text is read, and the value when the variable is unset or empty."""

    key: str
    default: Any
    parse: Callable[[str], Any] = str
    variable: str = ""  # when it differs from ``key``

    @property
    def env(self) -> str:
        return self.variable or self.key

    def read(self, text: str, source: str | None = None) -> Any:
        """``text`` parsed, or :class:`ConfigError` naming the variable."""
        try:
            return self.parse(text)
        except ValueError as error:
            raise ConfigError(f"{source or self.env}={text!r}: {error}") from None


_SECONDS = _number(float, minimum=0)
_COUNT = _number(int, minimum=0)
_POSITIVE = _number(int, minimum=1)

# Every setting read from the environment, with its default: the one place both are written down.
SETTINGS = (
    # Empty: create_app uses a random key kept in instance/secret_key (webapp/security.py).
    Setting("SECRET_KEY", ""),
    Setting("SITE_NAME", "Package Grids"),
    Setting("SITE_URL", ""),
    Setting("TIME_ZONE", "UTC", _time_zone),
    Setting("REDIS_URL", ""),
    Setting("GITHUB_API_URL", "https://api.github.com"),
    Setting("GITHUB_TOKEN", ""),
    Setting("GITLAB_API_URL", "https://gitlab.com/api/v4"),
    Setting("GITLAB_TOKEN", ""),
    Setting("BITBUCKET_API_URL", "https://api.bitbucket.org/2.0"),
    Setting("BITBUCKET_TOKEN", ""),
    Setting("CODEBERG_API_URL", "https://codeberg.org/api/v1"),
    Setting("CODEBERG_TOKEN", ""),
    Setting("PYPI_URL", "https://pypi.org"),
    Setting("ENDOFLIFE_URL", "https://endoflife.date/api"),
    Setting("GITHUB_WEBHOOK_SECRET", ""),
    Setting("GITHUB_CLIENT_ID", ""),
    Setting("GITHUB_CLIENT_SECRET", ""),
    Setting("GITHUB_OAUTH_URL", "https://github.com/login/oauth"),
    # Local sign-up (username and password); GitHub sign-in is governed by GITHUB_CLIENT_ID/SECRET alone.
    Setting("ALLOW_SIGNUP", True, parse_bool),
    # After someone adds a package: "auto" queues the fetch (REDIS_URL) or runs it in a background thread,
    # "sync" fetches inside the request, "off" leaves it to "Fetch now" and the scheduled refresh.
    Setting("FETCH_NEW_PACKAGES", "auto", _choice("auto", "sync", "off")),
    # Fetch service (webapp/fetch): timeouts, retries, quota pauses, threads, staleness and RQ job settings.
    Setting("FETCH_TIMEOUT", 10.0, _SECONDS),
    Setting("FETCH_RETRIES", 2, _COUNT),
    Setting("FETCH_BACKOFF", 1.0, _SECONDS),
    Setting("FETCH_MAX_QUOTA_WAIT", 3900.0, _SECONDS),
    Setting("FETCH_WORKERS", 8, _POSITIVE),
    Setting("FETCH_STALE_AFTER", timedelta(hours=24), parse_duration),
    Setting("FETCH_JOB_TIMEOUT", 600, _POSITIVE),
    Setting("FETCH_JOB_RETRIES", 3, _COUNT),
    Setting("FETCH_JOB_RETRY_INTERVALS", [60, 300, 1800], _seconds_list),
    Setting("FETCH_JOB_MAX_QUOTA_WAIT", 60.0, _SECONDS),
    # Bounds on reading other servers (fetch service and importer): a total deadline per request, one per
    # package fetch (quota pauses aside), one for all the fetches a web request makes (under gunicorn's 30 s
    # worker timeout), and the largest answer read (PyPI's JSON for Django is a few MB).
    Setting("FETCH_DEADLINE", 30.0, _SECONDS),
    Setting("FETCH_PACKAGE_DEADLINE", 180.0, _SECONDS),
    Setting("FETCH_REQUEST_DEADLINE", 20.0, _SECONDS),
    Setting("FETCH_MAX_BYTES", 20 * 1024 * 1024, _POSITIVE),
    # Largest request body accepted (413 past it, before anything is read); form fields and parts too.
    Setting("MAX_CONTENT_LENGTH", 1024 * 1024, _POSITIVE),
    Setting("MAX_FORM_MEMORY_SIZE", 500_000, _POSITIVE),
    Setting("MAX_FORM_PARTS", 1000, _POSITIVE),
    Setting("PACKAGES_PER_PAGE", 30, _POSITIVE),
    Setting("API_RATE_LIMIT", 300, _COUNT),  # 0: off
    # The anonymous page cache (webapp/page_cache.py); 0 renders every page.
    Setting("PAGE_CACHE", True, parse_bool),
    Setting("SESSION_COOKIE_SECURE", False, parse_bool),
    Setting("REMEMBER_COOKIE_SECURE", False, parse_bool, variable="SESSION_COOKIE_SECURE"),
    Setting("REMEMBER_COOKIE_DURATION", timedelta(days=30), _days, variable="REMEMBER_COOKIE_DAYS"),
    # Host headers accepted (others get 400); None accepts any. Flask checks it on every request.
    Setting("TRUSTED_HOSTS", None, _hosts),
    # Throttles on sign-in, sign-up and "Fetch now" (Flask-Limiter; webapp/throttle.py), counted in Redis
    # when REDIS_URL is set.
    Setting("RATELIMIT_ENABLED", True, parse_bool),
    Setting("LOGIN_RATE_LIMIT_ACCOUNT", "10 per 15 minutes", _rate_limit),
    Setting("LOGIN_RATE_LIMIT_ADDRESS", "50 per 15 minutes", _rate_limit),
    Setting("SIGNUP_RATE_LIMIT", "10 per hour", _rate_limit),
    Setting("FETCH_NOW_RATE_LIMIT", "10 per hour", _rate_limit),
    # Mails the site sends for an account: password resets per client address and per email address asked
    # for, and new verification links per person.
    Setting("ACCOUNT_MAIL_RATE_LIMIT", "5 per hour", _rate_limit),
    # Outgoing mail (webapp/mail.py): without MAIL_SERVER, mails are written to the log instead.
    Setting("MAIL_SERVER", ""),
    Setting("MAIL_PORT", 25, _POSITIVE),
    Setting("MAIL_USERNAME", ""),
    Setting("MAIL_PASSWORD", ""),
    Setting("MAIL_USE_TLS", False, parse_bool),
    Setting("MAIL_FROM", "Package Grids <noreply@localhost>"),
    # How long a password reset link and an email verification link work.
    Setting("PASSWORD_RESET_MAX_AGE", timedelta(hours=1), parse_duration),
    Setting("EMAIL_VERIFY_MAX_AGE", timedelta(days=7), parse_duration),
    Setting("PREFERRED_URL_SCHEME", "http", _choice("http", "https")),
    Setting("PROXY_COUNT", 0, _COUNT),
)

# Fixed settings, not read from the environment.
CONSTANTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
}


def load_config(instance_path: str, overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict:
    """Build the configuration from the environment, parsing every setting once.

    ``overrides`` (from :func:`webapp.create_app`) replace values; one given as text is parsed like the
    environment variable would be. A malformed value raises :class:`ConfigError` naming the variable.
    """
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {**CONSTANTS, "SQLALCHEMY_DATABASE_URI": database_url_from_env(instance_path)}
    for setting in SETTINGS:
        if setting.key in overrides:
            value = overrides.pop(setting.key)
            config[setting.key] = setting.read(value, setting.key) if isinstance(value, str) else value
        elif env.get(setting.env, "").strip():
            config[setting.key] = setting.read(env[setting.env])
        else:
            config[setting.key] = copy.deepcopy(setting.default)
    config.update(overrides)
    return config
