"""Template filters and globals: numbers, dates, sparklines, grid cell icons and safe markdown."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import nh3
from flask import Flask, current_app, request, url_for
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from webapp.links import safe_url

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(["image", "html_block", "html_inline"])
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Render the small markdown subset users may write, sanitised with nh3."""
    if not text:
        return Markup("")
    html = _markdown.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener ugc",
    )
    return Markup(clean)


_MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]<>&#\\!|~]|^\s*(?:\d+[.)]|[-+>])\s|\n")


def render_markdown_inline(text: str | None) -> Markup:
    """Markdown for one-line cells: like :func:`render_markdown` without the wrapping paragraph."""
    if not text:
        return Markup("")
    if not _MARKDOWN_SYNTAX.search(text):
        return escape(text.strip())  # plain prose: markdown would only wrap it in <p>
    html = str(render_markdown(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


# Keywords a grid cell may start with, and how they are shown.
CELL_KEYWORDS = {
    "yes": ("yes", "✔", "Yes"),
    "y": ("yes", "✔", "Yes"),
    "true": ("yes", "✔", "Yes"),
    "no": ("no", "✘", "No"),
    "n": ("no", "✘", "No"),
    "false": ("no", "✘", "No"),
    "+++": ("plus3", "★★★", "Excellent"),
    "++": ("plus2", "★★", "Very good"),
    "+": ("plus1", "★", "Good"),
    "---": ("minus3", "▼▼▼", "Very poor"),
    "--": ("minus2", "▼▼", "Poor"),
    "-": ("minus1", "▼", "Weak"),
    "?": ("unknown", "?", "Unknown"),
}


def split_cell(text: str | None) -> tuple[tuple[str, str, str] | None, str]:
    """Split a cell into its keyword (class, symbol, label) and the rest of the note."""
    if not text:
        return None, ""
    stripped = text.strip()
    lowered = stripped.lower()
    for keyword in sorted(CELL_KEYWORDS, key=len, reverse=True):
        if not lowered.startswith(keyword):
            continue
        rest = stripped[len(keyword):]
        if keyword.isalpha() and rest[:1].isalnum():
            continue  # "nope" or "yesterday" is prose, not a keyword
        if keyword in {"-", "--", "---"} and rest[:1].isalnum():
            continue  # a leading hyphen of a phrase
        rest = rest.lstrip(" \t—–:-").strip() if keyword.isalpha() or rest[:1] in " \t—–:" else rest.strip()
        return CELL_KEYWORDS[keyword], rest
    return None, stripped


@lru_cache(maxsize=16384)
def render_cell(text: str | None) -> Markup:
    """Show a grid cell: keyword icons with an accessible label, then the escaped, sanitised note."""
    keyword, note = split_cell(text)
    parts = []
    if keyword:
        css, symbol, label = keyword
        parts.append(Markup('<span class="cell-icon cell-{}" title="{}" aria-label="{}">{}</span>').format(
            css, label, label, symbol))
    if note:
        parts.append(Markup('<span class="cell-note">{}</span>').format(render_markdown_inline(note)))
    return Markup(" ").join(parts)


def sparkline(counts: list[int] | None, width: int = 156, height: int = 28, label: str = "") -> Markup:
    """Draw weekly commit counts as an inline SVG bar chart (server-side, no JavaScript)."""
    return _sparkline(tuple(int(c or 0) for c in (counts or [])), width, height, label)


@lru_cache(maxsize=8192)
def _sparkline(counts: tuple[int, ...], width: int, height: int, label: str) -> Markup:
    if not counts:
        return Markup('<span class="muted">not fetched yet</span>')
    peak = max(counts) or 1
    bar = width / len(counts)
    total = sum(counts)
    title = label or f"{total} commits in the last {len(counts)} weeks"
    bars = []
    for index, count in enumerate(counts):
        bar_height = 1 if count == 0 else max(2.0, (count / peak) * (height - 2))
        cls = "zero" if count == 0 else "bar"
        bars.append(
            f'<rect class="{cls}" x="{index * bar:.2f}" y="{height - bar_height:.2f}" '
            f'width="{max(bar - 1, 1):.2f}" height="{bar_height:.2f}"></rect>'
        )
    return Markup(
        f'<svg class="sparkline" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="none"><title>{escape(title)}</title>{"".join(bars)}</svg>'
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


def register(app: Flask) -> None:
    """Install filters and globals on ``app``'s Jinja environment."""
    app.jinja_env.filters.update(
        markdown=render_markdown,
        markdown_inline=render_markdown_inline,
        cell=render_cell,
        sparkline=sparkline,
        date=format_date,
        timesince=timesince,
        intcomma=intcomma,
        compact=compact_number,
        safe_url=safe_url,
    )
    app.jinja_env.globals.update(url_with=url_with, sparkline=sparkline)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_context():
        return {"site_name": app.config["SITE_NAME"]}
