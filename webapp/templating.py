"""Template filters and globals: numbers, dates, stored sparklines and safe markdown."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

from webapp import rendering
from webapp.links import safe_url
from webapp.security import site_origin


def render_markdown(text: str | None) -> Markup:
    """Render user markdown, sanitised, in the view: only for text that is not stored rendered (a form's
    conflicting version); stored text is printed from its ``*_html`` column (webapp/rendering.py)."""
    return Markup(rendering.render_markdown(text))


def sparkline(drawing: str | None, width: int = 156, height: int = 28) -> Markup:
    """A package's stored commit sparkline (``Package.commits_sparkline``) as an SVG of the given size."""
    if not drawing:
        return Markup('<span class="muted">not fetched yet</span>')
    return Markup(
        f'<svg class="sparkline" role="img" viewBox="0 0 {rendering.SPARKLINE_WIDTH} {rendering.SPARKLINE_HEIGHT}" '
        f'width="{int(width)}" height="{int(height)}" preserveAspectRatio="none">{drawing}</svg>'
    )


def site_timezone() -> ZoneInfo:
    """The site's time zone (setting ``TIME_ZONE``)."""
    return ZoneInfo(current_app.config["TIME_ZONE"])


def localtime(value: datetime | None) -> datetime | None:
    """``value`` in the site's time zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(site_timezone())


def format_date(value: datetime | None, fmt: str = "%b %-d, %Y") -> str:
    """A date for people, in the site's time zone."""
    local = localtime(value)
    return local.strftime(fmt) if local else "—"


def timesince(value: datetime | None, now: datetime | None = None) -> str:
    """'3 days ago', 'in 2 hours', or a dash."""
    if value is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    seconds = int((now - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400),
                       ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = seconds // size
            text = f"{amount} {unit}{'s' if amount != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def intcomma(value: int | float | None) -> str:
    """12345 -> '12,345'."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def compact_number(value: int | None) -> str:
    """12345 -> '12.3k'."""
    if value is None:
        return "—"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return str(value)


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (``None`` removes one)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    if "page" in args and str(args["page"]) == "1":
        args.pop("page")
    view_args = dict(request.view_args or {})
    return url_for(request.endpoint, **view_args, **args)


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` on the site's public origin (``SITE_URL``, else this request's host): for
    links read off the site, like the share cards of OpenGraph tags and badge Markdown."""
    return site_origin() + url_for(endpoint, **values)


def canonical_url() -> str:
    """This page's address on the site's public origin, without the query string (OpenGraph's ``og:url``)."""
    return site_origin() + request.script_root + request.path


def register(app: Flask) -> None:
    """Install filters and globals on ``app``'s Jinja environment."""
    app.jinja_env.filters.update(
        markdown=render_markdown,
        sparkline=sparkline,
        date=format_date,
        timesince=timesince,
        intcomma=intcomma,
        compact=compact_number,
        safe_url=safe_url,
    )
    app.jinja_env.globals.update(url_with=url_with, cell_keywords=rendering.CELL_KEYWORDS, absolute_url=absolute_url,
                                 canonical_url=canonical_url)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_context():
        return {"site_name": app.config["SITE_NAME"]}
