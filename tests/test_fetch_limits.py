"""What the fetch service reads from other servers is bounded: size, time, where it goes, and which paths.

- answers past ``FETCH_MAX_BYTES`` are dropped while streaming (item 7);
- a request has ``FETCH_DEADLINE`` seconds in all, a package ``FETCH_PACKAGE_DEADLINE``, and fetches inside a
  web request ``FETCH_REQUEST_DEADLINE`` (item 8);
- requests, and so tokens, go only under each host's API base: redirects and ``next`` links elsewhere are
  refused (item 9);
- repository names cannot steer an API path out of the API base (item 10).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlsplit

import pytest

from tests.editing_support import post
from tests.fakes.recorder import RecordingHost
from tests.fakes.remote_hosts import SyntheticRepo
from tests.fetch_support import RECORDED_AT, package, reload
from webapp.fetch.fetcher import REPO_HOSTS, Fetcher
from webapp.fetch.handlers.base import RepoHandler
from webapp.fetch.http import ConditionalCache, FetchError, HostClient, NotFound
from webapp.fetch.services import fetch_package
from webapp.repos import KNOWN_HOSTS, RepoRef, parse_repo_url

DOMAINS = {kind: domain for domain, kind in KNOWN_HOSTS.items()}
MB = 1024 * 1024
TOKENS = {"GITHUB_TOKEN": "gh-secret", "GITLAB_TOKEN": "gl-secret", "BITBUCKET_TOKEN": "bb-secret",
          "CODEBERG_TOKEN": "cb-secret"}


@pytest.fixture
def other_host():
    """Host B: a server on another port that records every request it gets."""
    with RecordingHost(status=200, body=[]) as host:
        yield host


def django_with_data():
    """Django on PyPI, with data from an earlier successful fetch."""
    return package(pypi_url="https://pypi.org/project/django/", slug="django", pypi_version="3.2.1")


def repo_package(kind: str, remote) -> object:
    """A package whose repository is a synthetic one on ``kind``'s fake, with data from an earlier fetch."""
    remote.add_repo(SyntheticRepo(host=kind, owner="acme", name="widget", id=4242, stars=7,
                                  commits=[(datetime(2024, 1, 2, tzinfo=timezone.utc), "acme")],
                                  contributors=["acme"]))
    return package(f"https://{DOMAINS[kind]}/acme/widget", slug=f"widget-{kind}", repo_description="Kept",
                   repo_watchers=5)


# -- item 7: size -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("declare", [False, True], ids=["streamed", "declared"])
def test_an_oversized_answer_is_dropped_recorded_and_the_data_kept(remote, fetcher, declare):
    django = django_with_data()
    remote.inject("pypi", "django", "huge", size=60 * MB, declare=declare, times=None)

    assert fetch_package(django.id, fetcher=fetcher).status == "failed"

    django = reload(django)
    assert django.fetch_error == "PyPI: answer larger than 20 MB" + (" (60 MB declared)" if declare else "") + \
        " for /pypi/pypi/django/json"
    assert django.pypi_version == "3.2.1"
    assert len(remote.requests_to("pypi")) == 1  # not asked again: the answer would be as big


def test_the_size_limit_is_a_setting_and_real_answers_fit_under_the_default(app, remote, clock, monkeypatch):
    django = django_with_data()
    monkeypatch.setitem(app.config, "FETCH_MAX_BYTES", 100 * 1024)  # the recorded Django JSON is ~500 KB
    small = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    assert fetch_package(django.id, fetcher=small).status == "failed"
    assert reload(django).fetch_error.startswith("PyPI: answer larger than 100 KB")
    small.close()

    monkeypatch.setitem(app.config, "FETCH_MAX_BYTES", 20 * MB)
    default = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    assert fetch_package(django.id, fetcher=default).status == "updated"
    assert reload(django).pypi_version == "4.0.2"
    default.close()


# -- item 8: deadlines --------------------------------------------------------------------------------------------


def test_a_dripping_host_is_cut_off_at_the_deadline(app, remote, clock, monkeypatch):
    # Each byte comes well within FETCH_TIMEOUT, so only a total deadline can stop this.
    for key, value in {"FETCH_TIMEOUT": 2.0, "FETCH_DEADLINE": 1.0, "FETCH_PACKAGE_DEADLINE": 2.5}.items():
        monkeypatch.setitem(app.config, key, value)
    slow = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    django = django_with_data()
    remote.inject("pypi", "django", "drip", interval=0.5, length=20, times=None)

    started = time.monotonic()
    outcome = fetch_package(django.id, fetcher=slow)
    elapsed = time.monotonic() - started
    slow.close()

    assert outcome.status == "failed"
    assert elapsed < 2.5 + 3  # the package deadline, and a generous margin
    django = reload(django)
    assert "took longer than" in django.fetch_error and "/pypi/pypi/django/json" in django.fetch_error
    assert django.pypi_version == "3.2.1"
    assert django.fetch_error_count == 1


def test_fetch_now_answers_within_the_request_deadline(app, client, remote, people, monkeypatch, auth):  # noqa: F811
    for key, value in {"FETCH_TIMEOUT": 5.0, "FETCH_DEADLINE": 30.0, "FETCH_PACKAGE_DEADLINE": 180.0,
                       "FETCH_REQUEST_DEADLINE": 1.5, "FETCH_BACKOFF": 0.0}.items():
        monkeypatch.setitem(app.config, key, value)
    django = django_with_data()
    remote.inject("pypi", "django", "drip", interval=0.5, length=20, times=None)
    auth.sign_in(people.other)

    started = time.monotonic()
    response = post(client, "/packages/django/fetch/")
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 1.5 + 3
    django = reload(django)
    assert "took longer than" in django.fetch_error
    assert django.pypi_version == "3.2.1"
    assert "The fetch failed:" in client.get("/packages/p/django/").get_data(as_text=True)


def test_a_spent_quota_is_not_waited_for_inside_a_web_request(app, client, remote, people, monkeypatch, auth):  # noqa: F811
    monkeypatch.setitem(app.config, "FETCH_REQUEST_DEADLINE", 2.0)
    deps = package("https://github.com/django/deps", repo_watchers=5)
    remote.inject("github", r"^/repos/django/deps$", "rate_limit", reset_in=60)
    auth.sign_in(people.other)

    started = time.monotonic()
    post(client, "/packages/deps/fetch/")

    assert time.monotonic() - started < 2.0 + 3  # the CLI would pause a minute; a web request cannot
    deps = reload(deps)
    assert (deps.fetch_error, deps.repo_watchers) == ("", 5)
    assert "API quota is used up" in client.get("/packages/p/deps/").get_data(as_text=True)


def test_the_cli_still_waits_for_the_quota_and_its_pause_does_not_count_against_the_package(
        app, remote, clock, monkeypatch):
    monkeypatch.setitem(app.config, "FETCH_PACKAGE_DEADLINE", 5.0)
    patient = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    deps = package("https://github.com/django/deps")
    remote.inject("github", r"^/repos/django/deps$", "rate_limit", reset_in=30)

    assert fetch_package(deps.id, fetcher=patient).status == "updated"
    assert len(clock.sleeps) == 1 and clock.sleeps[0] > 5
    patient.close()


# -- item 9: redirects and links stay under the API base ----------------------------------------------------------


@pytest.fixture
def with_tokens(app, monkeypatch):
    for key, value in TOKENS.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.mark.parametrize("kind", sorted(REPO_HOSTS))
@pytest.mark.parametrize("target", ["other host", "same server, outside the API base"])
def test_a_redirect_off_the_api_base_is_refused(app, remote, clock, other_host, with_tokens, kind, target):
    fetcher = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    item = repo_package(kind, remote)
    other = "pypi" if kind != "pypi" else "github"
    location = (f"{other_host.base_url}/{kind}/steal" if target == "other host"
                else f"{remote.base_url}/{other}/steal")
    remote.inject(kind, r"acme(/|%2F)widget", "redirect", code=301, location=location, times=None)

    assert fetch_package(item.id, fetcher=fetcher).status == "failed"
    fetcher.close()

    item = reload(item)
    assert f"redirected to {location}, which is not followed" in item.fetch_error
    assert (item.repo_description, item.repo_watchers) == ("Kept", 5)
    assert other_host.seen == []
    assert remote.requests_to(other) == []


LINKS = {
    # host: (path pattern of the paginated call, the fault that links its next page to host B)
    "github": ("/contributors", lambda b: {"code": 200, "body": [{"login": "acme"}],
                                           "headers": {"Link": f'<{b}/github/repos/acme/widget/contributors?page=2>; '
                                                                'rel="next"'}}),
    "gitlab": ("/repository/contributors", lambda b: {"code": 200, "body": [{"name": "acme"}],
                                                      "headers": {"Link": f'<{b}/gitlab/projects/4242/repository/'
                                                                           'contributors?page=2>; rel="next"'}}),
    "bitbucket": ("/commits/", lambda b: {"code": 200, "body": {
        "values": [{"date": "2024-01-02T00:00:00+00:00", "author": {"raw": "acme <a@example.org>"}}],
        "next": f"{b}/bitbucket/repositories/acme/widget/commits/?page=2"}}),
}


@pytest.mark.parametrize("kind", sorted(LINKS))
def test_a_next_page_on_another_host_is_refused(app, remote, clock, other_host, with_tokens, kind):
    fetcher = Fetcher(app.config, sleep=clock.sleep, clock=clock.time, now=lambda: RECORDED_AT)
    item = repo_package(kind, remote)
    pattern, fault = LINKS[kind]
    remote.inject(kind, pattern, "status", times=None, **fault(other_host.base_url))

    assert fetch_package(item.id, fetcher=fetcher).status == "failed"
    fetcher.close()

    assert f"refused to follow {other_host.base_url}/{kind}/" in reload(item).fetch_error
    assert reload(item).repo_watchers == 5
    assert other_host.seen == []


def test_every_host_that_follows_links_is_covered():
    """Codeberg builds its page URLs itself; every other handler follows the host's links and is tested above."""
    assert set(REPO_HOSTS) - set(LINKS) == {"codeberg"}


def test_links_and_redirects_under_the_api_base_are_still_followed(remote, fetcher):
    remote.move("django/old-deps", "django/deps")
    moved = package("https://github.com/django/old-deps")
    assert fetch_package(moved.id, fetcher=fetcher).status == "updated"
    assert reload(moved).repo_url == "https://github.com/django/deps"


@pytest.mark.parametrize("kind", sorted(REPO_HOSTS))
def test_tokens_reach_only_the_api_base(app, other_host, kind):
    """The client's own check, for each host's client with its token: only URLs under its base are sent."""
    config = {**app.config, **TOKENS,
              **{key: f"{other_host.base_url}/{name}" for name, (_, key, *_rest) in REPO_HOSTS.items()}}
    fetcher = Fetcher(config)
    client = fetcher.clients[kind]
    base = f"{other_host.base_url}/{kind}"
    for refused in (f"{other_host.base_url}/elsewhere/x", f"{base}/../elsewhere", f"{base}/%2e%2e/elsewhere",
                    f"{base}x/y", "http://127.0.0.2:1/x", f"http://user:pw@{base.split('://')[1]}/x"):
        with pytest.raises(FetchError, match="refused to follow"):
            client.get(refused)
    assert other_host.seen == []
    with pytest.raises(FetchError):  # the recorder answers [], not the object a handler wants: no matter
        client.get(f"{base}/fine", shape=dict)
    assert [seen.path for seen in other_host.seen][0] == f"/{kind}/fine"
    token = TOKENS[REPO_HOSTS[kind][2]]
    assert any(token in value for value in other_host.seen[0].headers.values())
    fetcher.close()


# -- item 10: repository names cannot leave the API base ---------------------------------------------------------

HOSTILE_PATHS = ["/../user", "/owner/..", "/./owner/name", "/%2e%2e/user", "/owner/%2E%2E", "/owner%2Fname/x",
                 "/owner/name%3Fx=1", "/owner/name%23x", "/owner/../../user", "/..%2F..%2Fuser/x", "/owner/.",
                 "/owner/na%20me", "/owner/name/../../../user"]
HOSTILE_SCP = [":owner/name?x=1", ":owner/na#me", ":../user", ":owner/..", ":owner/%2e%2e"]


def hostile_urls(domain: str) -> list[str]:
    return ([f"https://{domain}{path}" for path in HOSTILE_PATHS] + [f"git@{domain}{path}" for path in HOSTILE_SCP]
            + [f"{domain}{path}" for path in HOSTILE_PATHS[:4]])


def paths_sent(handler_class: type[RepoHandler], ref: RepoRef, host: RecordingHost) -> list[str]:
    """The request paths a handler sends for ``ref``, to a recording host standing in for its API at /api."""
    client = HostClient("test", f"{host.base_url}/api", retries=0)
    try:
        handler_class(client).fetch(ref, ConditionalCache(), RECORDED_AT)
    except (NotFound, FetchError):
        pass
    finally:
        client.close()
    return [seen.path for seen in host.seen]


def stays_under_api_base(path: str) -> bool:
    route = urlsplit(path).path
    return route.startswith("/api/") and not any(unquote(part) in (".", "..") for part in route.split("/"))


@pytest.mark.parametrize("kind", sorted(REPO_HOSTS))
def test_hostile_repository_urls_are_rejected_or_stay_under_the_api_base(kind):
    handler_class = REPO_HOSTS[kind][4]
    for url in hostile_urls(DOMAINS[kind]):
        ref = parse_repo_url(url)
        if ref is None:
            continue
        with RecordingHost() as host:
            sent = paths_sent(handler_class, ref, host)
        assert sent and all(stays_under_api_base(path) for path in sent), (url, sent)


HOSTILE_NAMES = [("..", "user"), (".", "x"), ("owner", ".."), ("a/..", "b"), ("owner", "name?x=1"),
                 ("owner", "name#frag"), ("%2e%2e", "user"), ("owner", "na/../../me"), ("", "x")]


@pytest.mark.parametrize("kind", sorted(REPO_HOSTS))
def test_every_handler_encodes_or_refuses_the_names_it_puts_in_api_paths(kind):
    """The second line of defence, for addresses stored before URLs were checked: each handler percent-encodes
    owner and name, and refuses dot segments, so its requests stay under the API base."""
    handler_class = REPO_HOSTS[kind][4]
    for owner, name in HOSTILE_NAMES:
        ref = RepoRef(host=DOMAINS[kind], owner=owner, name=name, kind=kind)
        with RecordingHost() as host:
            sent = paths_sent(handler_class, ref, host)
        assert all(stays_under_api_base(path) for path in sent), (owner, name, sent)
        for path in sent:
            assert "x=1" not in urlsplit(path).query, (owner, name, path)
            assert quote(name, safe="") in path, (owner, name, path)


def test_the_add_form_explains_a_hostile_repository_url(client, people, auth):  # noqa: F811
    from tests.factories import make_category

    category = make_category()
    auth.sign_in(people.other)
    for url in ("https://github.com/../user", "https://bitbucket.org/owner/%2e%2e", "https://gitlab.com/user"):
        response = post(client, "/packages/add/", {"title": "Widget", "slug": "widget", "category": category.id,
                                                   "repo_url": url})
        assert response.status_code == 422, url
        page = response.get_data(as_text=True)
        assert ("cannot contain “.” or “..” segments" in page) or ("That is not a repository on gitlab.com" in page)
    response = client.get("/packages/add/", query_string={"source": "https://github.com/%2e%2e/user"})
    assert response.status_code == 422
