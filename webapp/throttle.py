"""Throttles against password guessing and floods: sign-in per account and per address, sign-up per address,
"Fetch now" per person.

Flask-Limiter counts in Redis when ``REDIS_URL`` is set (shared by every worker and server) and in process
memory otherwise. Each limit is read from the configuration on every request (``LOGIN_RATE_LIMIT_ACCOUNT``,
``LOGIN_RATE_LIMIT_ADDRESS``, ``SIGNUP_RATE_LIMIT``, ``FETCH_NOW_RATE_LIMIT``, in the notation of the ``limits``
library: ``"10 per 15 minutes"``). Past a limit the answer is 429 with ``Retry-After`` and a readable page.
The API's own rate limit is separate (webapp/ratelimit.py).
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from webapp.extensions import limiter

KEY_PREFIX = "packagegrids-throttle"
USERNAME_KEY_MAX = 150


def init_app(app: Flask, extension: Limiter = limiter) -> None:
    """Bind the limiter to ``app`` (see :func:`configure_storage`) and answer its refusals."""
    configure_storage(app, extension)
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def configure_storage(app: Flask, extension: Limiter = limiter) -> None:
    """Count in Redis when ``REDIS_URL`` is set, in process memory otherwise.

    Calling it again (after ``REDIS_URL`` changed) moves the counting to the new storage.
    """
    redis_url = app.config["REDIS_URL"]
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {}
    app.config.setdefault("RATELIMIT_KEY_PREFIX", KEY_PREFIX)
    # A Redis outage must not take sign-in down: the failure is logged and the request goes through.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    extension.init_app(app)


def too_many_requests(error: RateLimitExceeded):
    """The 429 answer: when to try again (``Retry-After``, and in words), as a page, fragment or JSON."""
    from webapp.errors import render_error

    seconds = retry_after_seconds()
    wait = f"{math.ceil(seconds / 60)} minute{'s' if seconds > 60 else ''}" if seconds > 59 else f"{seconds} seconds"
    return render_error(429, f"{error.description} Try again in {wait}.", {"Retry-After": str(seconds)})


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets a request through again (at least 1)."""
    current = limiter.current_limit
    reset_at = current.reset_at if current is not None else time.time() + 60
    return max(1, math.ceil(reset_at - time.time()))


# -- who is counted -------------------------------------------------------------------------------------------


def sign_in_account_key() -> str:
    """The account a sign-in attempt is for, whatever its case, from wherever it comes."""
    username = (request.form.get("username") or "").strip().lower()[:USERNAME_KEY_MAX]
    return f"account:{username}"


def person_key() -> str:
    """The signed-in person, or the client's address for anyone else."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


def _failed(response) -> bool:
    # A sign-in that worked redirects; a refused one shows the form again (422).
    return response.status_code >= 400


def _config_limit(name: str):
    return lambda: current_app.config[name]


# -- the limits, as view decorators ---------------------------------------------------------------------------


def throttle_sign_in(view):
    """Failed sign-ins are counted per account (from any address) and per address (for any account); past
    either limit every attempt, even with the right password, gets 429 until the window ends."""
    view = limiter.limit(_config_limit("LOGIN_RATE_LIMIT_ACCOUNT"), key_func=sign_in_account_key, methods=["POST"],
                         deduct_when=_failed, scope="sign-in-account",
                         error_message="Too many failed sign-ins for this account.")(view)
    return limiter.limit(_config_limit("LOGIN_RATE_LIMIT_ADDRESS"), key_func=get_remote_address, methods=["POST"],
                         deduct_when=_failed, scope="sign-in-address",
                         error_message="Too many failed sign-ins from your address.")(view)


def throttle_sign_up(view):
    """Sign-up attempts per address."""
    return limiter.limit(_config_limit("SIGNUP_RATE_LIMIT"), key_func=get_remote_address, methods=["POST"],
                         scope="sign-up", error_message="Too many sign-ups from your address.")(view)


def throttle_fetch_now(view):
    """"Fetch now" per person (each press costs the site API quota at the repository host)."""
    return limiter.limit(_config_limit("FETCH_NOW_RATE_LIMIT"), key_func=person_key, methods=["POST"],
                         scope="fetch-now", error_message="You asked for many fetches in a short time.")(view)


def email_key() -> str:
    """The email address a form asks about, whatever its case."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:USERNAME_KEY_MAX * 2]


def throttle_password_reset(view):
    """Password reset requests per client address and per email address asked for: nobody fills someone's
    mailbox with reset links, or probes many addresses quickly."""
    view = limiter.limit(_config_limit("ACCOUNT_MAIL_RATE_LIMIT"), key_func=email_key, methods=["POST"],
                         scope="password-reset-email",
                         error_message="Too many reset links asked for this address.")(view)
    return limiter.limit(_config_limit("ACCOUNT_MAIL_RATE_LIMIT"), key_func=get_remote_address, methods=["POST"],
                         scope="password-reset-address",
                         error_message="Too many password resets asked from your address.")(view)


def throttle_account_mail(view):
    """Mails a signed-in person has the site send to themselves (a new verification link)."""
    return limiter.limit(_config_limit("ACCOUNT_MAIL_RATE_LIMIT"), key_func=person_key, methods=["POST"],
                         scope="account-mail", error_message="You asked for many mails in a short time.")(view)
