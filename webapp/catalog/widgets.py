"""A package's small pieces of markup, shared by every page that shows them, built in Python.

Health badges, the "I use this" and favorite toggles and the declared versions appear once on a package page but
once per column on a grid, per row in lists and search results: a Jinja include or macro call each (a new context,
argument binding, a ``url_for`` or two) cost a grid more than its data. These functions are the only
implementation: templates call them as globals (``health_badges(...)``), the HTMX toggle answers
(templates/_partials/usage_button.html, favorite_button.html) wrap them, and the grid and compare tables
(webapp/grids/table.py) call them directly with addresses built once per page (:class:`PageWidgets`).

Everything written from data is escaped here (``escape``); stored HTML is never built in these functions.
"""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from webapp.templating import format_date, intcomma
from webapp.url_patterns import UrlPattern


class PageWidgets:
    """What the widgets of one page share, worked out once for it: the addresses they link to (``url_for`` once
    per endpoint), whether the viewer is signed in and their CSRF token."""

    def __init__(self) -> None:
        self.detail = UrlPattern("catalog.package_detail", "slug")
        self.signed_in = bool(current_user.is_authenticated)
        self._csrf_token: str | None = None
        self._back: str | None = None
        self._usage: UrlPattern | None = None
        self._favorite: UrlPattern | None = None
        self._login_for: dict[str, str] = {}

    @property
    def csrf_token(self) -> str:
        """The viewer's CSRF token (for forms that post)."""
        if self._csrf_token is None:
            self._csrf_token = generate_csrf()
        return self._csrf_token

    @property
    def back(self) -> str:
        """Where a toggle posted without JavaScript comes back to: this page with its query string."""
        if self._back is None:
            self._back = request.full_path.rstrip("?")
        return self._back

    def usage(self, slug: str) -> str:
        """Where the "I use this" toggle posts."""
        if self._usage is None:
            self._usage = UrlPattern("catalog.toggle_usage", "slug")
        return self._usage(slug=slug)

    def favorite(self, slug: str) -> str:
        """Where the star posts."""
        if self._favorite is None:
            self._favorite = UrlPattern("catalog.toggle_favorite", "slug")
        return self._favorite(slug=slug)

    def login(self, next_url: str | None = None) -> str:
        """The sign-in page, coming back to ``next_url``."""
        if next_url not in self._login_for:
            self._login_for[next_url] = (url_for("accounts.login", next=next_url) if next_url
                                         else url_for("accounts.login"))
        return self._login_for[next_url]


def _page(page: PageWidgets | None) -> PageWidgets:
    return page if page is not None else PageWidgets()


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def health_badges(package, report=None, compact: bool = False, page: PageWidgets | None = None) -> Markup:
    """The health of a package in a list, a search result or a grid column: deprecated (with a link to its
    replacement), archived, stale releases or commits, known vulnerabilities.

    ``package`` has its ``current_release`` and ``deprecated_by`` loaded (no query is made here). With ``report``
    (the advisories, listed next to it) the vulnerability badge is left out; ``compact`` says only "stale" for both
    staleness badges.
    """
    parts: list[str] = []
    if package.is_deprecated:
        parts.append(f'<span class="badge badge-bad" title="{escape(package.deprecation_note)}">'
                     f'{escape(package.deprecation_status)}</span>')
        replacement = package.deprecated_by
        if replacement is not None:
            parts.append(f' <a class="badge badge-accent replacement-link" '
                         f'href="{_page(page).detail(slug=replacement.slug)}" title="The recommended replacement">'
                         f'use {escape(replacement.title)}</a>')
    archived = package.date_repo_archived
    if archived:
        parts.append(f'<span class="badge badge-warn" title="Archived since {format_date(archived)}">archived</span>')
    count = package.vulnerability_count
    if count and not report:
        parts.append(f'<span class="badge badge-bad" title="Known vulnerabilities in {escape(package.pypi_version)}">'
                     f'{count} known vulnerabilit{_plural(count, "y", "ies")}</span>')
    release_stale, commit_stale = package.release_is_stale, package.commit_is_stale
    if compact:
        if (release_stale or commit_stale) and not archived:
            parts.append('<span class="badge badge-warn stale-badge" title="No release or no commit in over a year">'
                         'stale</span>')
    else:
        if release_stale:
            parts.append(f'<span class="badge badge-warn stale-badge" title="Latest release '
                         f'{format_date(package.current_release.upload_time)}">no release in over a year</span>')
        if commit_stale and not archived:
            parts.append(f'<span class="badge badge-warn stale-badge" title="Last commit '
                         f'{format_date(package.last_commit_date)}">no commit in over a year</span>')
    return Markup("\n".join(parts))


def has_health_problem(package) -> bool:
    """Whether :func:`health_badges` would show anything for ``package``."""
    return bool(package.is_deprecated or package.date_repo_archived or package.vulnerability_count
                or package.release_is_stale or package.commit_is_stale)


def usage_toggle(package, used: bool, next_url: str | None = None, stat: bool = False, cell: bool = False,
                 page: PageWidgets | None = None) -> Markup:
    """The "I use this" toggle with the count of users: a form that posts (HTMX swaps it in place).

    ``next_url``: where a post without JavaScript comes back to (default this page); ``stat``: also refresh the
    package page's figures; ``cell``: also refresh the grid's users and score cells. Signed out: "Sign in to use",
    a plain GET form to the sign-in page that comes back here (no token, so the page is the same for every
    anonymous visitor and can be cached publicly).
    """
    page = _page(page)
    back = escape(next_url or page.back)
    users = package.usage_count or 0
    count = (f'<span class="usage-count" title="{intcomma(users)} {_plural(users, "person uses", "people use")} it">'
             f'{intcomma(users)}<span class="visually-hidden"> {_plural(users, "user", "users")}</span></span>')
    if not page.signed_in:
        return Markup(
            f'<form id="usage-{package.id}" class="usage-toggle" method="get" action="{page.login()}">\n'
            f'  <input type="hidden" name="next" value="{back}">\n'
            f'  <button type="submit" class="btn btn-small usage-button" title="Sign in, then say you use '
            f'{escape(package.title)}">Sign in to use</button>\n  {count}\n</form>')
    action = page.usage(package.slug)
    extra = ('<input type="hidden" name="stat" value="1">' if stat else "") + (
        '<input type="hidden" name="cell" value="1">' if cell else "")
    return Markup(
        f'<form id="usage-{package.id}" class="usage-toggle" method="post" action="{action}"\n'
        f'      hx-post="{action}" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button">\n'
        f'  <input type="hidden" name="csrf_token" value="{page.csrf_token}">\n'
        f'  <input type="hidden" name="use" value="{"0" if used else "1"}">\n'
        f'  <input type="hidden" name="next" value="{back}">{extra}\n'
        f'  <button type="submit" class="btn btn-small usage-button{" is-used" if used else ""}" '
        f'aria-pressed="{"true" if used else "false"}">{"You use this ✓ — remove" if used else "I use this"}</button>\n'
        f'  {count}\n</form>')


def favorite_toggle(package, favorited: bool, next_url: str | None = None, compact: bool = False,
                    page: PageWidgets | None = None) -> Markup:
    """The star ("favorite") toggle with its count, separate from "I use this".

    ``next_url``: where a post without JavaScript comes back to (default this page); ``compact`` (a list row or
    grid column): the star and the count, the words for screen readers only. Signed out: a plain link to sign in
    (no form, no token: the page is the same for every anonymous visitor).
    """
    page = _page(page)
    back = next_url or page.back
    stars = package.favorite_count or 0
    words_class = ' class="visually-hidden"' if compact else ""
    compact_field = '<input type="hidden" name="compact" value="1">' if compact else ""
    count = (f'<span class="favorite-count" title="{intcomma(stars)} '
             f'{_plural(stars, "person starred", "people starred")} it">{intcomma(stars)}'
             f'<span class="visually-hidden"> {_plural(stars, "favorite", "favorites")}</span></span>')
    if not page.signed_in:
        return Markup(
            f'<span id="favorite-{package.id}" class="favorite-toggle">\n'
            f'  <a class="btn btn-small favorite-button" href="{escape(page.login(back))}" '
            f'title="Sign in to favorite {escape(package.title)}"><span class="star" aria-hidden="true">☆</span>'
            f'<span{words_class}>Sign in to favorite</span></a>\n  {count}\n</span>')
    action = page.favorite(package.slug)
    return Markup(
        f'<form id="favorite-{package.id}" class="favorite-toggle" method="post" action="{action}"\n'
        f'      hx-post="{action}" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button">\n'
        f'  <input type="hidden" name="csrf_token" value="{page.csrf_token}">\n'
        f'  <input type="hidden" name="favorite" value="{"0" if favorited else "1"}">\n'
        f'  <input type="hidden" name="next" value="{escape(back)}">'
        f'{compact_field}\n'
        f'  <button type="submit" class="btn btn-small favorite-button{" is-favorite" if favorited else ""}" '
        f'aria-pressed="{"true" if favorited else "false"}" '
        f'title="{"Remove from your favorites" if favorited else "Add to your favorites"}">'
        f'<span class="star" aria-hidden="true">{"★" if favorited else "☆"}</span>'
        f'<span{words_class}>{"Favorited" if favorited else "Favorite"}</span>'
        f'<span class="visually-hidden"> {escape(package.title)}</span></button>\n  {count}\n</form>')


def declared_versions(release, product: str, cycles=None, empty: str = "—") -> Markup:
    """The versions of ``product`` a release declares, oldest first; those past end of life greyed (``cycles``: a
    webapp.catalog.support.CycleTable). ``empty`` is shown when it declares none."""
    numbers = release.declared_versions(product) if release is not None else []
    if not numbers:
        return Markup(f'<span class="cell-empty">{escape(empty)}</span>')
    parts = []
    for number in numbers:
        shown = escape(number)
        if cycles and cycles.is_eol(product, number):
            parts.append(f'<span class="version version-eol" title="{escape(str(product).title())} {shown} is past '
                         f'its end of life">{shown}<span class="visually-hidden"> (end of life)</span></span>')
        else:
            parts.append(f'<span class="version">{shown}</span>')
    return Markup(f'<span class="versions">{"".join(parts)}</span>')


def register(app) -> None:
    """Make the widgets template globals."""
    app.jinja_env.globals.update(health_badges=health_badges, usage_toggle=usage_toggle,
                                 favorite_toggle=favorite_toggle, declared_versions=declared_versions)
