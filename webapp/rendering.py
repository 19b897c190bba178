"""Render once, when written: user markdown, grid cells and commit sparklines, stored beside their source.

A model declares a rendered column with :func:`rendered_from`: ``description_html`` holds the sanitised HTML of
``description``. :func:`render_on_write` installs one ORM event on the declarative base that sets every such
column on insert and whenever its source changes, so every writer (services, revert, fetch, importer, demo
loader) stores the HTML without remembering to, and pages print the stored HTML instead of rendering per view.
The functions here are pure (text in, HTML string out): the migration that fills existing rows uses them too.
"""

from __future__ import annotations

import re
from html import escape
from typing import NamedTuple

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import event
from sqlalchemy.orm import Mapper, attributes

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(["image", "html_block", "html_inline"])
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> str:
    """The small markdown subset users may write, as HTML sanitised with nh3."""
    if not text:
        return ""
    return nh3.clean(
        _markdown.render(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener ugc",
    )


_MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]<>&#\\!|~]|^\s*(?:\d+[.)]|[-+>])\s|\n")


def render_markdown_inline(text: str | None) -> str:
    """Markdown for one-line text: like :func:`render_markdown` without the wrapping paragraph."""
    if not text:
        return ""
    if not _MARKDOWN_SYNTAX.search(text):
        return escape(text.strip(), quote=True)  # plain prose: markdown would only wrap it in <p>
    html = render_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


class CellKeyword(NamedTuple):
    """A word a grid cell may be (or start with), shown as an icon: ``css`` names its class (``cell-<css>``)."""

    css: str
    symbol: str
    label: str
    spellings: tuple[str, ...]


# The one table of cell keywords: the renderer reads it, the cell editor's help lists it, the tests walk it.
# djangopackages.org's spellings (its ``style_element`` filter), plus y/n/true/false and ? of this site. Letters
# match in any case; +N and -N count: +3 and more (or +++ and more) are the strongest.
CELL_KEYWORDS: tuple[CellKeyword, ...] = (
    CellKeyword("yes", "✔", "Yes", ("yes", "check", "good", "y", "true")),
    CellKeyword("plus1", "✔", "Good", ("+", "+1")),
    CellKeyword("plus2", "✔✔", "Very good", ("++", "+2")),
    CellKeyword("plus3", "✔✔✔", "Excellent", ("+++", "+3")),
    CellKeyword("no", "✘", "No", ("no", "bad", "negative", "evil", "sucks", "n", "false")),
    CellKeyword("minus1", "✘", "Weak", ("-", "-1")),
    CellKeyword("minus2", "✘✘", "Poor", ("--", "-2")),
    CellKeyword("minus3", "✘✘✘", "Very poor", ("---", "-3")),
    CellKeyword("unknown", "?", "Unknown", ("?",)),
)
_KEYWORD_BY_SPELLING = {spelling: keyword for keyword in CELL_KEYWORDS for spelling in keyword.spellings}
# The first word of a cell: letters, a run of + or - with an optional count, or a question mark.
_LEADING_WORD = re.compile(r"[^\W\d_]+|(\++|-+)(\d*)|\?")
# What may follow a keyword that starts a longer cell ("yes, with signals"; not "yesterday", "n/a" or "-5%").
_AFTER_KEYWORD = re.compile(r"$|[\s,;:.!—–]")
_NOTE_LEAD = re.compile(r"^[\s,;:.!—–]*(?:-\s+)?")


def _keyword_for(word: str, signs: str | None, count: str) -> CellKeyword | None:
    if signs is None:
        return _KEYWORD_BY_SPELLING.get(word.lower())
    if count:
        if len(signs) > 1 or int(count) == 0:
            return None  # "++2" or "+0": not a keyword
        strength = int(count)
    else:
        strength = len(signs)
    return _KEYWORD_BY_SPELLING[signs[0] * min(strength, 3)]


def split_cell(text: str | None) -> tuple[CellKeyword | None, str]:
    """Split a cell into its keyword (when the cell is one, or starts with one as a whole word) and the note."""
    if not text:
        return None, ""
    stripped = text.strip()
    match = _LEADING_WORD.match(stripped)
    if match is None or not _AFTER_KEYWORD.match(stripped, match.end()):
        return None, stripped
    keyword = _keyword_for(match.group(0), match.group(1), match.group(2) or "")
    if keyword is None:
        return None, stripped
    return keyword, _NOTE_LEAD.sub("", stripped[match.end():], count=1).strip()


def render_cell(text: str | None) -> str:
    """A grid cell as HTML: keyword icons with an accessible label, then the sanitised markdown note."""
    keyword, note = split_cell(text)
    parts = []
    if keyword:
        parts.append(f'<span class="cell-icon cell-{keyword.css}" title="{keyword.label}" role="img" '
                     f'aria-label="{keyword.label}">{keyword.symbol}</span>')
    if note:
        parts.append(f'<span class="cell-note">{render_markdown_inline(note)}</span>')
    return " ".join(parts)


# Sparklines are drawn in a fixed coordinate system and stretched to each page's size (preserveAspectRatio none),
# so one stored drawing serves the grid, the lists and the package page. The system is small and each bar is one
# short vertical stroke hanging from the top ("M5 0v13"; the stylesheet turns the drawing upside down), so a list
# of 30 packages carries a few KB of drawings, not tens.
SPARKLINE_WIDTH = 104
SPARKLINE_HEIGHT = 24


def _week_count(value) -> int:
    """One week's commits; anything that is not a count (a stored value gone wrong) draws as no commits."""
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def _short(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def render_sparkline(counts: list[int] | None) -> str:
    """Weekly commit counts as the inside of an SVG bar chart (a title and two paths of vertical strokes, one a
    week: weeks with commits, weeks without), or "" without counts."""
    counts = [_week_count(count) for count in (counts or [])]
    if not counts:
        return ""
    peak = max(counts) or 1
    step = SPARKLINE_WIDTH / len(counts)
    bars, zeros = [], []
    for index, count in enumerate(counts):
        height = 1 if count == 0 else max(2, round(count / peak * SPARKLINE_HEIGHT))
        (zeros if count == 0 else bars).append(f"M{_short((index + 0.5) * step)} 0v{height}")
    title = f"{sum(counts)} commits in the last {len(counts)} weeks"
    stroke = _short(max(step * 0.8, 0.1))
    return (f'<title>{title}</title><path class="bar" d="{"".join(bars)}" stroke-width="{stroke}"></path>'
            f'<path class="zero" d="{"".join(zeros)}" stroke-width="{stroke}"></path>')


RENDERERS = {
    "markdown": render_markdown,
    "markdown_inline": render_markdown_inline,
    "cell": render_cell,
    "sparkline": render_sparkline,
}


def rendered_from(source: str, renderer: str) -> dict:
    """``info`` for a column that stores ``source`` rendered by ``RENDERERS[renderer]``."""
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer!r}")
    return {"rendered_from": (source, renderer)}


_RENDERED: dict[Mapper, list[tuple[str, str, str]]] = {}


def rendered_columns(mapper: Mapper) -> list[tuple[str, str, str]]:
    """(source attribute, html attribute, renderer name) for every rendered column of ``mapper``."""
    if mapper not in _RENDERED:
        _RENDERED[mapper] = [(prop.columns[0].info["rendered_from"][0], prop.key,
                              prop.columns[0].info["rendered_from"][1])
                             for prop in mapper.column_attrs if "rendered_from" in prop.columns[0].info]
    return _RENDERED[mapper]


def _render_on_insert(mapper: Mapper, connection, target) -> None:
    for source, html, renderer in rendered_columns(mapper):
        setattr(target, html, RENDERERS[renderer](target.__dict__.get(source)))


def _render_on_update(mapper: Mapper, connection, target) -> None:
    for source, html, renderer in rendered_columns(mapper):
        if attributes.get_history(target, source, passive=attributes.PASSIVE_NO_INITIALIZE).has_changes():
            setattr(target, html, RENDERERS[renderer](getattr(target, source)))


def _render_bulk_insert(state) -> None:
    # ORM bulk inserts (session.execute(insert(Model), [rows])) skip the mapper events: fill the rows here.
    if not state.is_insert or state.bind_mapper is None or not state.parameters:
        return
    columns = rendered_columns(state.bind_mapper)
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters]
    for row in rows:
        for source, html, renderer in columns:
            if source in row and html not in row:
                row[html] = RENDERERS[renderer](row[source])


def render_on_write(base, session_class) -> None:
    """Set every rendered column of every model of ``base`` on insert and when its source changes, and in
    the rows of bulk inserts made through ``session_class``.

    Install after the text cleaning hook: listeners run in order, so the HTML is made from the cleaned text.
    """
    event.listen(base, "before_insert", _render_on_insert, propagate=True)
    event.listen(base, "before_update", _render_on_update, propagate=True)
    event.listen(session_class, "do_orm_execute", _render_bulk_insert)
