"""A small catalogue with a row in every table, the GET pages that show it (generated from ``app.url_map``),
and the model columns the hostile-data sweeps write to: the support of tests/test_stored_links.py and
tests/test_text_hygiene.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import JSON, String, func, select

from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp.catalog.models import (
    Favorite,
    Flag,
    PackageExample,
    PackageSnapshot,
    ReleaseCycle,
    SupportProduct,
    Usage,
    Vulnerability,
)
from webapp.extensions import db
from webapp.fetch.models import FetchDay, FetchQuota, HttpCacheEntry
from webapp.grids.models import Element, Feature, GridOldSlug
from webapp.history.models import Change
from webapp.staff.models import Banner, FeaturedGrid, FeaturedPackage

# Pages that leave the site or need a remote service: nothing stored is shown there.
SKIPPED_ENDPOINTS = {"static", "accounts.github_login", "accounts.github_callback"}
# Pages that show the world's rows only when asked for them.
QUERY_STRINGS = {"compare.compare": "p=widget", "compare.compare_export": "p=widget",
                 "readiness.cycle_detail": "grid=widgets"}


@dataclass
class World:
    staff: object
    person: object
    category: object
    package: object
    grid: object
    member: object
    feature: object


def build_world() -> World:
    """One row in every table: a person who uses, starred and flagged a package that is in a featured grid with a
    filled cell; the package featured too, with a known vulnerability, a star count's history and a site using it;
    a banner showing, a Django release cycle, the fetch service's day and quota."""
    staff = make_user("stella", password_hash=password_hash(), is_staff=True)
    person = make_user("pat", password_hash=password_hash(), github_login="pat",
                       avatar_url="https://avatars.example.org/pat.png", display_name="Pat")
    category = make_category("Apps", slug="apps")
    package = make_package("widget", category=category, created_by_id=person.id,
                           pypi_url="https://pypi.org/project/widget", documentation_url="https://widget.example.org/")
    grid = make_grid("Widgets", packages=[package], features=1, description="Widget packages")
    member = grid.grid_packages[0]
    feature = grid.features[0]
    db.session.add_all([
        Usage(user_id=person.id, package_id=package.id),
        Flag(package_id=package.id, user_id=person.id, reason="Spam", status="open"),
        Change(object_type="package", object_id=package.id, package_id=package.id, user_id=person.id,
               field="title", old_value="old widget", new_value="widget", summary="Renamed"),
        HttpCacheEntry(package_id=package.id, url="https://api.github.com/repos/example/widget", etag='"abc"'),
        PackageExample(package_id=package.id, title="Widget shop", url="https://shop.example.org/",
                       created_by_id=person.id),
        Favorite(user_id=person.id, package_id=package.id),
        PackageSnapshot(package_id=package.id, day=date.today() - timedelta(days=7), stars=5, forks=1,
                        participants=2, version="1.0"),
        Vulnerability(package_id=package.id, version=package.current_release.number, advisory_id="PYSEC-2024-1",
                      aliases=["CVE-2024-1"], summary="Widgets leak", fixed_in=["9.9"],
                      link="https://osv.dev/vulnerability/PYSEC-2024-1"),
        ReleaseCycle(product=SupportProduct.DJANGO, cycle="5.2", latest="5.2.1", lts=True),
        Banner(text="Maintenance tonight", link="https://status.example.org/", created_by_id=staff.id,
               ends_at=datetime.now(timezone.utc) + timedelta(days=1)),
        FeaturedGrid(grid_id=grid.id, position=1),
        FeaturedPackage(package_id=package.id, note="A fine widget"),
        GridOldSlug(slug="old-widgets", grid_id=grid.id),
        FetchDay(day=date.today(), fetched=1, failed=0),
        FetchQuota(host="github", limit=5000, remaining=4999),
    ])
    package.usage_count = 1
    package.vulnerability_count = 1
    db.session.commit()
    assert db.session.query(Element).count() == 1 and db.session.query(Feature).count() == 1
    empty = [table.name for table in db.metadata.sorted_tables
             if not db.session.scalar(select(func.count()).select_from(table))]
    assert not empty, f"give these tables a row in tests/hostile_support.py build_world: {empty}"
    return World(staff, person, category, package, grid, member, feature)


def _arguments(world: World, endpoint: str, names: set[str], defaults: dict) -> dict:
    values = {}
    for name in names:
        if name in defaults:  # the rule's own value (e.g. the format of /export.csv)
            values[name] = defaults[name]
        elif name == "slug":
            values[name] = (world.grid.slug if "grid" in endpoint else world.category.slug if "category" in endpoint
                            else world.package.slug)
        elif name == "lookup":
            values[name] = {"api.category_detail": str(world.category.id), "api.grid_detail": world.grid.slug,
                            "api.package_detail": world.package.slug}[endpoint]
        elif name == "username":
            values[name] = world.person.username
        elif name == "grid_package_id":
            values[name] = world.member.id
        elif name == "feature_id":
            values[name] = world.feature.id
        elif name == "change_id":
            values[name] = db.session.query(Change.id).scalar()
        elif name == "flag_id":
            values[name] = db.session.query(Flag.id).scalar()
        elif name == "token":  # a mailed link's token, made for the person
            from webapp.accounts import recovery

            make = {"accounts.password_reset": recovery.password_reset_token,
                    "accounts.verify_email": recovery.email_verification_token}[endpoint]
            values[name] = make(world.person)
        elif name == "rest":  # the rest of a retired API v1 path
            values[name] = "packages/"
        elif name == "name" and endpoint == "pages.page":  # a static page
            values[name] = "about"
        elif endpoint == "readiness.cycle_detail" and name in ("product", "cycle"):  # the world's release cycle
            values[name] = {"product": "django", "cycle": "5.2"}[name]
        else:
            raise AssertionError(f"the sweep does not know how to fill <{name}> of {endpoint}: teach it")
    return values


def get_pages(world: World) -> list[str]:
    """Every GET page of the site, for this world's objects (API pages also as the browsable HTML page)."""
    from flask import url_for

    pages = []
    for rule in current_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        with current_app.test_request_context():
            path = url_for(rule.endpoint, **_arguments(world, rule.endpoint, set(rule.arguments), rule.defaults or {}))
        if "search" in rule.endpoint:
            path += "?q=widget"
        elif rule.endpoint in QUERY_STRINGS:
            path += "?" + QUERY_STRINGS[rule.endpoint]
        pages.append(path)
        if path.startswith("/api/"):
            pages.append(path + ("&" if "?" in path else "?") + "format=api")
    return sorted(pages)


def text_columns() -> dict[type, list[str]]:
    """Every model's string (and JSON) column attributes, which the text-cleaning rule covers."""
    found = {}
    for mapper in db.Model.registry.mappers:
        names = [prop.key for prop in mapper.column_attrs
                 if isinstance(prop.columns[0].type, (String, JSON)) and not prop.columns[0].foreign_keys]
        if names:
            found[mapper.class_] = names
    return found


def _is_url_name(name: str) -> bool:
    return name in ("url", "link") or name.endswith(("_url", "_link"))


def url_columns() -> dict[type, list[str]]:
    """Every model's URL-ish columns: strings named ``url``, ``link``, ``..._url`` or ``..._link``."""
    return {model: [name for name in names if _is_url_name(name)]
            for model, names in text_columns().items() if any(_is_url_name(name) for name in names)}
