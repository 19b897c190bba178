"""HTMX in one place: every GET that answers HTMX differently says so in ``Vary`` (``HX-Request``, and
``HX-Target`` when the target picks the fragment), so no cache serves a fragment as a page. Swept over every
GET rule of ``app.url_map``, as an anonymous visitor and as staff, plain, as HTMX, and as HTMX aimed at each
element the site's pages target."""

from __future__ import annotations

import re
from pathlib import Path

import webapp
from tests.route_sweep import all_rules, check_fillers_cover_every_rule, url_for_rule

# A CSRF token is signed with the time: two requests a second apart differ in it and nothing else. Answers are
# compared as bytes: some are images (a package's card.png).
CSRF_TOKEN = re.compile(rb"\bI[\w-]{20,}\.[\w-]+\.[\w-]+")
# A form may propose a time from the clock (the staff banner's end, a week from now to the minute): two requests
# may straddle a minute.
CLOCK_TIME = re.compile(rb'(type="datetime-local" value=")[^"]*"')
TARGET = re.compile(r'hx-target="#([\w-]+)"')


def _answer(response) -> tuple:
    body = CLOCK_TIME.sub(rb'\1<time>"', CSRF_TOKEN.sub(b"<token>", response.get_data()))
    return response.status_code, body, response.headers.get("Location"), response.headers.get("HX-Redirect")


def _get(client, path: str, headers: dict | None = None):
    """GET ``path`` with no flashed message waiting (a redirecting GET may leave one for the next page)."""
    with client.session_transaction() as session:
        session.pop("_flashes", None)
    return client.get(path, headers=headers or {})


def _vary(response) -> set[str]:
    return {value.lower() for value in response.vary}


def test_every_get_that_answers_htmx_differently_varies_on_it(world):
    fillers = check_fillers_cover_every_rule(world)
    paths = [url_for_rule(rule, fillers.get(rule.endpoint, {}), "GET") for rule in all_rules()
             if "GET" in rule.methods]
    pages = {role: {path: _get(world.clients[role], path) for path in paths} for role in ("anonymous", "staff")}
    # The elements the site's pages aim HTMX at (a target may only matter to another page's view).
    targets = sorted({target for answers in pages.values() for response in answers.values()
                      if response.mimetype == "text/html"
                      for target in TARGET.findall(response.get_data(as_text=True))})
    assert {"grid-table", "package-picker", "package-results"} <= set(targets)

    failures, differing = [], set()
    for role, answers in pages.items():
        client = world.clients[role]
        for path, plain in answers.items():
            htmx = _get(client, path, {"HX-Request": "true"})
            if _answer(htmx) != _answer(plain):
                differing.add(path)
                for name, response in (("plain", plain), ("HTMX", htmx)):
                    if "hx-request" not in _vary(response):
                        failures.append(f"GET {path} as {role} ({name}): Vary {response.vary} lacks HX-Request")
            for target in targets:
                aimed = _get(client, path, {"HX-Request": "true", "HX-Target": target})
                if _answer(aimed) != _answer(htmx):
                    differing.add(f"{path} #{target}")
                    for name, response in (("HTMX", htmx), (f"HTMX #{target}", aimed)):
                        if not {"hx-request", "hx-target"} <= _vary(response):
                            failures.append(f"GET {path} as {role} ({name}): Vary {response.vary} lacks "
                                            "HX-Request, HX-Target")
    assert not failures, "\n".join(failures)
    # The sweep means something: the search suggestions, an HTMX cell, the grid table and the package list
    # answer HTMX differently.
    assert len(differing) >= 5, differing


def test_an_error_page_varies_on_hx_request(client):
    """Errors are a fragment for HTMX and a page otherwise (webapp/errors.py)."""
    page = client.get("/packages/p/no-such-package/")
    fragment = client.get("/packages/p/no-such-package/", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 404
    assert page.get_data() != fragment.get_data()
    assert "HX-Request" in page.vary and "HX-Request" in fragment.vary


def test_htmx_headers_are_read_only_through_webapp_htmx():
    """One place reads ``HX-*`` headers (webapp/htmx.py): a read anywhere else would not add ``Vary``."""
    package = Path(webapp.__file__).parent
    found = [f"{path.relative_to(package.parent)}:{number}: {line.strip()}"
             for path in sorted(package.rglob("*.py")) if path.name != "htmx.py"
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if re.search(r"""["']HX-[A-Za-z-]+["']""", line)]
    assert not found, "use webapp.htmx (is_htmx, htmx_target, htmx_current_url, htmx_redirect):\n" + "\n".join(found)
