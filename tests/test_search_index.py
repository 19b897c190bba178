"""The search index follows every write (ORM changes, bulk statements, HTTP editing), is rolled back with a
failed transaction, and is built by the migration for rows that existed before it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, text, update

from tests.editing_support import post
from tests.factories import make_category, make_grid, make_package
from webapp import create_app
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Feature, Grid, GridPackage
from webapp.search.index import PACKAGES as PACKAGE_INDEX


def found(client, query: str) -> list[str]:
    html = client.get("/search/", query_string={"q": query, "spell": "0"}).get_data(as_text=True)
    return re.findall(r'<h3><a href="/packages/p/[^/]+/">([^<]+)</a>', html)


def grids_found(client, query: str) -> list[str]:
    return [item["title"] for item in client.get("/api/v4/search/", query_string={"q": query}).get_json()
            if item["item_type"] == "grid"]


# Every indexed field of a package: a value with a word no other field has, and a query that finds it.
PACKAGE_FIELDS = {
    "title": ("Quixotic Widgets", "quixotic"),
    "slug": ("zanzibar-tools", "zanzibar"),
    "repo_url": ("https://github.com/velociraptor/hatchery", "velociraptor hatchery"),
    "pypi_url": ("https://pypi.org/project/pterodactyl-kit/", "pterodactyl"),
    "repo_description": ("Marshmallow fluffing for templates", "marshmallow"),
}


@pytest.mark.parametrize("column", sorted(PACKAGE_FIELDS))
def test_every_indexed_package_field_is_searchable_after_a_change(client, column):
    assert set(PACKAGE_FIELDS) == {"title", "slug", "repo_url", "pypi_url", "repo_description"}
    package = make_package("plain-name", repo_url="https://github.com/someone/plain-name")
    value, query = PACKAGE_FIELDS[column]
    assert "plain-name" not in found(client, query)
    setattr(package, column, value)
    db.session.commit()
    assert found(client, query)[:1] == [package.title]


def test_names_split_on_separators_and_camel_case(client):
    make_package("DjangoRestPolyModels", slug="drf-poly_models.extra")
    for query in ("poly", "rest poly", "djangorestpolymodels", "extra", "models poly"):
        assert found(client, query) == ["DjangoRestPolyModels"], query


def test_category_and_grid_titles_reach_their_packages(client):
    category = make_category("Geocoding")
    package = make_package("where-is-it", category=category)
    assert found(client, "geocoding") == ["where-is-it"]
    category.title = "Cartography"
    db.session.commit()
    assert found(client, "cartography") == ["where-is-it"] and found(client, "geocoding") == []
    grid = make_grid("Hummingbird Tools", packages=[package])
    assert found(client, "hummingbird") == ["where-is-it"]
    grid.title = "Albatross Tools"
    db.session.commit()
    assert found(client, "albatross") == ["where-is-it"] and found(client, "hummingbird") == []
    db.session.execute(delete(GridPackage).where(GridPackage.grid_id == grid.id))  # a bulk statement
    db.session.commit()
    assert found(client, "albatross") == []


def test_grids_are_found_by_title_description_and_feature_titles(client):
    grid = make_grid("Walrus Grid", description="Tusks compared", features=1)
    assert grids_found(client, "walrus") == ["Walrus Grid"]
    assert grids_found(client, "tusks") == ["Walrus Grid"]
    feature = db.session.get(Feature, grid.features[0].id)
    feature.title = "Blubber thickness"
    db.session.commit()
    assert grids_found(client, "blubber") == ["Walrus Grid"]
    db.session.execute(update(Grid).where(Grid.id == grid.id).values(description="Flippers"))
    db.session.commit()
    assert grids_found(client, "tusks") == [] and grids_found(client, "flippers") == ["Walrus Grid"]
    db.session.execute(delete(Feature).where(Feature.grid_id == grid.id))
    db.session.commit()
    assert grids_found(client, "blubber") == []


def test_removing_a_package_from_a_grid_through_the_site_updates_the_index(client, auth):
    package = make_package("lonely-package")
    grid = make_grid("Penguin Things", packages=[package])
    assert found(client, "penguin") == ["lonely-package"]
    auth.new_user("editor")
    member = db.session.scalar(db.select(GridPackage).where(GridPackage.grid_id == grid.id))
    response = post(client, f"/grids/g/{grid.slug}/packages/{member.id}/remove/")
    assert response.status_code == 303
    assert found(client, "penguin") == []


def test_a_deleted_package_leaves_the_index_and_its_words_the_spelling(client):
    package = make_package("axolotl-helpers")
    assert found(client, "axolotl") == ["axolotl-helpers"]
    html = client.get("/search/?q=axlotl").get_data(as_text=True)
    assert "Showing results for <strong>axolotl</strong>" in html
    db.session.delete(db.session.get(Package, package.id))
    db.session.commit()
    assert found(client, "axolotl") == []
    assert db.session.execute(text("SELECT count(*) FROM search_terms WHERE term = 'axolotl'")).scalar() == 0
    assert "Showing results for" not in client.get("/search/?q=axlotl").get_data(as_text=True)


def test_a_rolled_back_write_leaves_the_index_as_it_was(client):
    package = make_package("capybara-tools")
    package.title = "Wombat Tools"
    db.session.flush()
    db.session.rollback()
    assert found(client, "capybara") == ["capybara-tools"] and found(client, "wombat") == []


def test_the_demo_loader_indexes_everything(client, demo):
    counts = {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
              for table in ("search_packages", "search_grids")}
    assert counts == {"search_packages": db.session.query(Package).count(),
                      "search_grids": db.session.query(Grid).count()}
    assert db.session.query(Category).count() > 0


def test_the_opensearch_description_is_linked_from_every_page(client):
    response = client.get("/opensearch.xml")
    assert response.status_code == 200 and response.mimetype == "application/opensearchdescription+xml"
    body = response.get_data(as_text=True)
    assert 'template="http://localhost/search/?q={searchTerms}"' in body
    for path in ("/", "/packages/", "/grids/", "/search/?q=x"):
        assert 'rel="search" type="application/opensearchdescription+xml"' in client.get(path).get_data(
            as_text=True), path


def test_the_snippet_escapes_then_marks(client):
    make_package("marked", repo_description='<b>bold</b> & "amp" quoted; amp here')
    html = client.get("/search/?q=amp").get_data(as_text=True)
    row = html.split('href="/packages/p/marked/"', 1)[1].split("</li>", 1)[0]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;<mark>amp</mark>&#34; quoted; <mark>amp</mark> here" in row


def test_suggestions_announce_their_count(client):
    make_package("narwhal-kit")
    fragment = client.get("/search/suggest/?q=narwhal", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="search-status"' in fragment and 'hx-swap-oob="true"' in fragment
    assert "1 package and 0 grids found." in fragment
    page = client.get("/").get_data(as_text=True)
    assert 'id="search-status"' in page and 'aria-live="polite"' in page and 'aria-keyshortcuts="/"' in page


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_indexes_the_rows_that_exist(empty_database_url):
    from flask_migrate import downgrade, upgrade

    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with migrated.app_context():
        upgrade(revision="f3b7d2a9c418")
        downgrade(revision="-1")
        with db.engine.begin() as connection:  # rows written before the index existed
            connection.execute(text("INSERT INTO categories (id, title, slug, title_plural, description, show_pypi, "
                                    "package_count, created, modified) VALUES (1, 'Apps', 'apps', 'Apps', '', "
                                    "TRUE, 0, '2024-01-01', '2024-01-01')"))
            connection.execute(text(
                "INSERT INTO packages (id, title, slug, category_id, repo_url, pypi_url, documentation_url, "
                "documentation_url_from_pypi, repo_description, repo_watchers, repo_forks, participants, "
                "commits_over_52, commits_sparkline, deprecation_note, created, modified, fetch_error, "
                "fetch_error_count, score, usage_count, stats_are_demo, removed_reason, revision) VALUES (1, "
                "'pelican-tools', 'pelican-tools', 1, '', '', '', FALSE, 'Seabirds', 0, 0, '[]', '[]', '', '', "
                "'2024-01-01', '2024-01-01', '', 0, 0, 0, FALSE, '', 1)"))
        upgrade(revision="f3b7d2a9c418")
        with db.engine.connect() as connection:  # the migration wrote the row's document
            [(name, body)] = connection.execute(text(f"SELECT name, body FROM {PACKAGE_INDEX}")).all()
        assert "pelican" in name.split() and "Seabirds" in body
        # Searched through the site, whose models have the columns of the later migrations (none of which
        # touches the index).
        upgrade()
        client = migrated.test_client()
        assert found(client, "pelican") == ["pelican-tools"]
        assert found(client, "seabirds") == ["pelican-tools"]
        db.session.remove()
        db.engine.dispose()


def test_the_package_lists_filter_through_the_index(client):
    category = make_category("Apps", slug="apps")
    make_package("django-allauth", category=category, repo_description="Accounts and registration")
    make_package("django-registration", category=category, repo_description="User registration")
    make_package("unrelated", category=category, repo_description="Nothing like it")
    for path in ("/packages/", "/categories/apps/"):
        page = client.get(path, query_string={"q": "allauth django"}).get_data(as_text=True)  # any order
        assert "django-allauth" in page and "django-registration" not in page, path
        page = client.get(path, query_string={"q": "registrations"}).get_data(as_text=True)  # another form
        assert "django-allauth" in page and "django-registration" in page and "unrelated" not in page, path


def test_a_package_removed_by_moderation_is_searched_no_more(client):
    from datetime import datetime, timezone

    package = make_package("ocelot-kit")
    assert found(client, "ocelot") == ["ocelot-kit"]
    package.removed_at = datetime.now(timezone.utc)
    db.session.commit()
    assert found(client, "ocelot") == []
    assert db.session.execute(text("SELECT count(*) FROM search_packages")).scalar() == 0
    package.removed_at = None
    db.session.commit()
    assert found(client, "ocelot") == ["ocelot-kit"]


def test_a_typo_that_is_in_one_description_is_still_corrected_to_the_common_word(client):
    category = make_category()
    for index in range(20):
        make_package(f"django-thing-{index}", category=category)
    make_package("answers", category=category, repo_description="A generic Djnago app for questions")
    html = client.get("/search/?q=djnago").get_data(as_text=True)
    assert "Showing results for <strong>django</strong>" in html
    assert "answers" in client.get("/search/?q=djnago&spell=0").get_data(as_text=True)


def test_a_plain_session_like_the_fetch_services_updates_the_index_too(client):
    from sqlalchemy.orm import Session

    package = make_package("kiwi-tools", repo_description="Old words")
    with Session(db.engine) as session, session.begin():  # as webapp/fetch/services.py writes
        session.get(Package, package.id).repo_description = "Flightless birds of New Zealand"
    assert found(client, "flightless") == ["kiwi-tools"]
