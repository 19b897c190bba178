"""Static pages (about, FAQ, terms), written in markdown in templates/pages/ and rendered once, at first read.

The files are the site's own (not user text), so they may use headings; the HTML is still sanitised with nh3.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import nh3
from markdown_it import MarkdownIt

from webapp.config import resource_path

PAGES = ("about", "faq", "terms")
_markdown = MarkdownIt("commonmark", {"html": False}).disable(["image", "html_block", "html_inline"])
_TAGS = {"h2", "h3", "h4", "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote", "hr"}


@dataclass(frozen=True)
class StaticPage:
    title: str
    html: str


@cache
def static_page(name: str) -> StaticPage:
    """The page ``name`` (one of :data:`PAGES`): its first ``# heading`` is the title, the rest the body."""
    source = (resource_path("templates") / "pages" / f"{name}.md").read_text(encoding="utf-8")
    first, _, body = source.partition("\n")
    title = first.lstrip("#").strip() if first.startswith("# ") else name.title()
    if not first.startswith("# "):
        body = source
    html = nh3.clean(_markdown.render(body), tags=_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"})
    return StaticPage(title=title, html=html)
