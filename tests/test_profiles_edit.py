"""Profiles (issue 13): people edit their own profile only (display name, markdown bio sanitised when written,
links checked by one validator, favorites public), participants on package pages link to their host profile and
to their profile here, and GitHub is linked to (and unlinked from) an existing account."""

from __future__ import annotations

import pytest

from tests.factories import make_package, make_user
from tests.github_support import authorize, dance
from tests.helpers import PASSWORD, csrf_token_for, password_hash, user_named

FORM = {"display_name": "", "bio": "", "github": "", "gitlab": "", "bitbucket": "", "codeberg": "", "mastodon": "",
        "website": ""}


def edit(client, token: str, username: str = "ada", **fields):
    return client.post(f"/profiles/{username}/edit/", data={"csrf_token": token, **FORM, **fields})


@pytest.fixture
def ada(auth):
    """Ada, signed in; returns a CSRF token of her session."""
    return auth.new_user("ada", email="ada@example.org")


# -- who may edit ---------------------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client):
    make_user("ada")
    answer = client.get("/profiles/ada/edit/")
    assert answer.status_code == 302 and answer.location == "/accounts/login/?next=/profiles/ada/edit/"


def test_nobody_edits_someone_elses_profile(client, ada):
    make_user("bob", display_name="Bob", bio="My bio")
    assert client.get("/profiles/bob/edit/").status_code == 403
    answer = edit(client, ada, "bob", display_name="Hacked", bio="pwned")
    assert answer.status_code == 403
    bob = user_named("bob")
    assert (bob.display_name, bob.bio) == ("Bob", "My bio")
    assert user_named("ada").bio == ""


def test_staff_do_not_edit_other_profiles_either(client, auth):
    make_user("bob")
    token = auth.new_user("boss", staff=True)
    assert edit(client, token, "bob", bio="hello").status_code == 403


def test_the_edit_page_shows_the_current_profile_and_a_case_slip_redirects(client, ada):
    user = user_named("ada")
    user.github_handle = "ada-gh"
    from webapp.extensions import db

    db.session.commit()
    page = client.get("/profiles/ada/edit/")
    assert page.status_code == 200
    assert 'value="ada-gh"' in page.get_data(as_text=True)
    answer = client.get("/profiles/ADA/edit/")
    assert answer.status_code == 301 and answer.location == "/profiles/ada/edit/"
    assert client.get("/accounts/profile/").location == "/profiles/ada/edit/"


# -- what is saved --------------------------------------------------------------------------------------------


def test_saving_the_profile_stores_the_fields_and_shows_them(client, ada):
    answer = edit(client, ada, display_name="  Ada   Lovelace ", bio="I write **notes** on engines.",
                  github="https://github.com/ada-l", gitlab="@adal", codeberg="codeberg.org/ada",
                  bitbucket="ada_l", mastodon="@ada@mastodon.social", website="ada.example.org",
                  favorites_public="y")
    assert answer.status_code == 302 and answer.location == "/profiles/ada/"
    user = user_named("ada")
    assert user.display_name == "Ada Lovelace"
    assert (user.github_handle, user.gitlab_handle, user.codeberg_handle, user.bitbucket_handle) == (
        "ada-l", "adal", "ada", "ada_l")
    assert user.mastodon_url == "https://mastodon.social/@ada"
    assert user.website_url == "https://ada.example.org"
    assert user.favorites_public is True
    assert user.bio_html == "<p>I write <strong>notes</strong> on engines.</p>\n"

    html = client.get("/profiles/ada/").get_data(as_text=True)
    assert "<strong>notes</strong>" in html
    for link in ('href="https://github.com/ada-l"', 'href="https://gitlab.com/adal"', 'href="https://codeberg.org/ada"',
                 'href="https://bitbucket.org/ada_l"', 'href="https://mastodon.social/@ada"',
                 'href="https://ada.example.org"'):
        assert link in html
    assert "@ada@mastodon.social" in html
    assert "Edit profile" in html

    cleared = edit(client, ada)
    assert cleared.status_code == 302
    user = user_named("ada")
    assert (user.bio, user.bio_html, user.github_handle, user.website_url, user.favorites_public) == (
        "", "", "", "", False)


def test_the_bio_is_sanitised_when_written(client, ada, app):
    bio = ('<script>alert(1)</script> Hello [me](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n'
           '[site](https://ada.example.org)')
    assert edit(client, ada, bio=bio).status_code == 302
    stored = user_named("ada").bio_html
    assert "<script" not in stored and 'href="javascript' not in stored and "<img" not in stored
    assert "&lt;script&gt;" in stored and "&lt;img" in stored  # shown as text, never as markup
    assert '<a href="https://ada.example.org" rel="nofollow noopener ugc">site</a>' in stored
    html = client.get("/profiles/ada/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_anonymous_visitors_see_the_bio_but_no_edit_button(app, client, ada):
    edit(client, ada, bio="Hi *there*")
    html = app.test_client().get("/profiles/ada/").get_data(as_text=True)
    assert "<em>there</em>" in html
    assert "Edit profile" not in html and "/profiles/ada/edit/" not in html


BAD_INPUT = [
    ("website", "javascript:alert(1)", "Only http:// and https:// addresses are allowed."),
    ("website", "data:text/html,hi", "Only http:// and https:// addresses are allowed."),
    ("website", "https://exa mple.org", "cannot contain spaces"),
    ("website", "https://localhost/", "Enter a full web address"),
    ("github", "https://gitlab.com/ada", "That is not a GitHub address"),
    ("github", "https://github.com/ada/repo", "not of a page inside it"),
    ("github", "not a name!", "That is not a GitHub username."),
    ("github", "-ada", "That is not a GitHub username."),
    ("codeberg", "javascript:alert(1)", "That is not a Codeberg username."),
    ("mastodon", "https://mastodon.social/about", "Enter your account as @name@server.social"),
    ("mastodon", "ada", "Enter your account as @name@server.social"),
    ("mastodon", "http://mastodon.social/@ada", "Enter your account as @name@server.social"),
    ("display_name", "Ada\u202eevil", "Remove the control characters"),
]


def test_bad_links_and_text_are_form_errors(client, ada):
    for field, value, message in BAD_INPUT:
        answer = edit(client, ada, **{field: value, "bio": "kept in the form"})
        assert answer.status_code == 422, (field, value)
        html = answer.get_data(as_text=True)
        assert message in html, (field, value)
        assert "kept in the form" in html
    assert user_named("ada").bio == ""


def test_an_overlong_bio_is_a_form_error(client, ada):
    answer = edit(client, ada, bio="x" * 2001)
    assert answer.status_code == 422 and "At most 2000 characters." in answer.get_data(as_text=True)


def test_profile_edit_needs_a_csrf_token(client, ada):
    answer = client.post("/profiles/ada/edit/", data={**FORM, "bio": "no token"})
    assert answer.status_code == 400
    assert user_named("ada").bio == ""


def test_profile_pages_run_a_fixed_number_of_queries(app, client, ada, count_queries):
    edit(client, ada, bio="A *bio*", github="ada", website="https://ada.example.org")
    counts = []
    for path in ("/profiles/ada/edit/", "/accounts/password/reset/"):  # the second: the page frame, signed in
        client.get(path)
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]  # the edit page reads nothing but the signed-in person


# -- participants on package pages ------------------------------------------------------------------------------


def test_participants_link_to_their_host_profile_and_to_people_here(client, page_cache_off):
    make_user("linus", github_login="Octocat", github_id=1)  # signed in with GitHub as octocat
    make_user("grace", github_handle="hopper")  # typed on her profile
    make_user("gone", github_handle="ghost", is_active=False)
    make_package("thing", participants=["octocat", "hopper", "ghost", "stranger"])
    html = client.get("/packages/p/thing/").get_data(as_text=True)
    assert 'href="https://github.com/octocat"' in html
    assert 'href="https://github.com/stranger"' in html
    assert 'href="/profiles/linus/"' in html
    assert 'href="/profiles/grace/"' in html
    assert 'href="/profiles/gone/"' not in html


def test_gitlab_participants_are_names_so_only_people_here_are_linked(client, page_cache_off):
    make_user("mia", gitlab_handle="Mia")
    make_package("lab", repo_url="https://gitlab.com/group/lab", participants=["Mia", "Jane Doe"])
    html = client.get("/packages/p/lab/").get_data(as_text=True)
    assert 'href="/profiles/mia/"' in html
    assert "gitlab.com/Mia" not in html
    assert "<span>Jane Doe</span>" in html


def test_linking_a_handle_updates_the_cached_package_page(client, auth):
    make_package("thing", participants=["hopper"])
    assert 'href="/profiles/grace/"' not in client.get("/packages/p/thing/").get_data(as_text=True)
    grace = make_user("grace", password_hash=password_hash())
    signed_in = auth.client_for(grace)
    token = csrf_token_for(signed_in, "/profiles/grace/edit/")
    assert edit(signed_in, token, "grace", github="hopper").status_code == 302
    assert 'href="/profiles/grace/"' in client.get("/packages/p/thing/").get_data(as_text=True)


def test_the_package_page_reads_participants_in_one_query(client, count_queries, page_cache_off):
    make_user("grace", github_handle="p3")
    make_package("few", participants=["p1"])
    make_package("many", participants=[f"p{i}" for i in range(300)])
    counts = []
    for slug in ("few", "many"):
        client.get(f"/packages/p/{slug}/")
        with count_queries() as counter:
            client.get(f"/packages/p/{slug}/")
        counts.append(counter.count)
    assert counts[0] == counts[1]


# -- GitHub: link and unlink ------------------------------------------------------------------------------------


def connect(client, github, token: str):
    answer = client.post("/accounts/github/connect/", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.location.startswith(github.oauth_url + "/authorize?")
    return client.get(authorize(answer.location))


def test_a_password_account_connects_github_and_then_signs_in_with_it(app, client, github, auth):
    token = auth.new_user("ada")
    answer = connect(client, github, token)
    assert answer.status_code == 302 and answer.location == "/accounts/settings/"
    user = user_named("ada")
    assert (user.github_id, user.github_login) == (1, "octocat")
    assert "Linked to the GitHub account" in client.get("/accounts/settings/").get_data(as_text=True)
    # GitHub now signs in to the same account; no new account is made.
    other = app.test_client()
    assert dance(other, github).location == "/profiles/ada/"
    assert user_named("octocat") is None


def test_connecting_a_github_account_someone_else_uses_is_refused(client, github, auth):
    make_user("octo", github_id=1, github_login="octocat")
    token = auth.new_user("ada")
    answer = connect(client, github, token)
    assert answer.location == "/accounts/settings/"
    assert "already signs in to another account" in client.get("/accounts/settings/").get_data(as_text=True)
    assert user_named("ada").github_id is None
    assert user_named("octo").github_id == 1


def test_connecting_needs_signing_in_and_a_csrf_token(client, github, auth):
    token = csrf_token_for(client, "/accounts/login/")
    answer = client.post("/accounts/github/connect/", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.location.startswith("/accounts/login/")
    auth.new_user("ada")
    assert client.post("/accounts/github/connect/", data={}).status_code == 400
    assert github.log == []


def test_a_plain_github_sign_in_after_a_connect_attempt_does_not_link(app, client, github, auth):
    """The connect marker is for one round trip: signing in with GitHub later signs in, it links nothing."""
    token = auth.new_user("ada")
    client.post("/accounts/github/connect/", data={"csrf_token": token})
    client.get("/accounts/github/login/")  # started over as a sign-in
    auth.logout()
    dance(client, github)
    assert user_named("ada").github_id is None
    assert user_named("octocat").github_id == 1


def test_unlinking_github_needs_a_password_to_sign_in_with(client, github, auth):
    dance(client, github)  # a GitHub-only account
    token = csrf_token_for(client, "/accounts/settings/")
    html = client.get("/accounts/settings/").get_data(as_text=True)
    assert "set a password above before you unlink" in html
    answer = client.post("/accounts/github/disconnect/", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.location == "/accounts/settings/"
    assert "Set a password first" in client.get("/accounts/settings/").get_data(as_text=True)
    assert user_named("octocat").github_id == 1

    client.post("/accounts/settings/password/", data={"csrf_token": token, "current_password": "",
                                                      "password": PASSWORD, "confirm": PASSWORD})
    token = csrf_token_for(client, "/accounts/settings/")
    answer = client.post("/accounts/github/disconnect/", data={"csrf_token": token})
    assert answer.status_code == 302
    user = user_named("octocat")
    assert (user.github_id, user.github_login) == (None, None)
    assert "GitHub is unlinked" in client.get("/accounts/settings/").get_data(as_text=True)
