"""Support for tests that sweep every route of ``app.url_map``: a small world of real objects to fill URL
arguments from, a client per role (anonymous, signed in, the package's owner, staff) and a snapshot of every
table's rows to prove a request changed nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule

from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import password_hash
from webapp.accounts import recovery
from webapp.catalog.models import Flag, PackageExample, ReleaseCycle, SupportProduct, Usage
from webapp.extensions import db
from webapp.history.models import Change
from webapp.staff.models import FeaturedGrid

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROLES = ("anonymous", "user", "owner", "staff")
# Endpoints that do not check a CSRF token because something else authenticates or refuses the request.
# Adding one here must be deliberate: the sweep fails when the set of exempt endpoints changes.
CSRF_EXEMPT_VIEWS = {"fetch.github_webhook"}  # signed with GITHUB_WEBHOOK_SECRET (HMAC), answers 403 unsigned
CSRF_EXEMPT_BLUEPRINTS = {"api", "api_v3"}  # read-only APIs: every write method is a 405


@dataclass
class World:
    """Real rows to build URLs from, and a signed-in client per role."""

    category: object
    owner: object
    user: object
    staff: object
    mine: object  # added by ``owner`` just now: the owner may delete it
    listed: object  # in the grid
    grid: object
    member: object  # ``listed`` as a grid column
    feature: object
    change: object
    flag: object
    example: object = None  # a site using ``listed``
    featured: object = None  # ``grid`` featured on the home page (webapp/staff)
    clients: dict = field(default_factory=dict)

    def url_arguments(self) -> dict[str, dict]:
        """URL arguments per endpoint, for every endpoint whose rule has arguments."""
        package = {"slug": self.mine.slug}
        grid = {"slug": self.grid.slug}
        cell = {**grid, "grid_package_id": self.member.id, "feature_id": self.feature.id}
        feature = {**grid, "feature_id": self.feature.id}
        return {
            "catalog.category_detail": {"slug": self.category.slug},
            **{endpoint: package for endpoint in (
                "catalog.package_detail", "catalog.package_edit", "catalog.package_fetch", "catalog.package_delete",
                "catalog.package_deprecation",
                "catalog.flag", "catalog.toggle_usage", "catalog.package_history",
                "catalog.toggle_favorite", "catalog.add_example", "cards.package_card", "cards.package_badge")},
            "cards.grid_card": grid,
            "catalog.hide_example": {"example_id": self.example.id},
            **{endpoint: grid for endpoint in (
                "grids.grid_detail", "grids.grid_edit", "grids.grid_lock", "grids.grid_delete",
                "grids.grid_add_package", "grids.feature_add", "grids.grid_history", "insights.grid_timesheet")},
            "grids.grid_remove_package": {**grid, "grid_package_id": self.member.id},
            "compare.grid_export": {**grid, "fmt": "csv"},
            "compare.compare_export": {"fmt": "json"},
            "grids.feature_edit": feature,
            "grids.feature_delete": feature,
            "grids.cell": cell,
            "grids.cell_edit": cell,
            "grids.cell_save": cell,
            "history.revert": {"change_id": self.change.id},
            **{endpoint: {"category_id": self.category.id} for endpoint in (
                "staff.category_update", "staff.category_move", "staff.category_merge")},
            **{endpoint: {"featured_id": self.featured.id} for endpoint in (
                "staff.unfeature_grid", "staff.move_featured_grid")},
            **{endpoint: {"username": self.user.username} for endpoint in (
                "staff.person", "staff.person_staff", "staff.person_block", "staff.person_rollback")},
            **{endpoint: {"slug": self.listed.slug} for endpoint in ("pages.releases", "pages.add_to_grid")},
            "pages.page": {"name": "about"},
            "pages.api_v1_gone": {"rest": "packages/"},
            "moderation.approve": {"flag_id": self.flag.id},
            "moderation.dismiss": {"flag_id": self.flag.id},
            "profiles.profile": {"username": self.owner.username},
            "profiles.edit_profile": {"username": self.owner.username},
            "accounts.password_reset": {"token": recovery.password_reset_token(self.owner)},
            "accounts.verify_email": {"token": recovery.email_verification_token(self.owner)},
            "api.category_detail": {"lookup": str(self.category.id)},
            "api.grid_detail": {"lookup": self.grid.slug},
            "api.package_detail": {"lookup": self.mine.slug},
            "api_v3.v3_category_detail": {"slug": self.category.slug},
            "api_v3.v3_grid_detail": grid,
            "api_v3.v3_grid_packages": grid,
            "api_v3.v3_package_detail": package,
            "api_v3.v3_user_detail": {"username": self.owner.username},
            "static": {"filename": "favicon.svg"},
            "readiness.cycle_detail": {"product": "django", "cycle": "5.2"},
        }


def make_world() -> World:
    """The rows every route needs, written straight to the database (the clients are signed in separately)."""
    category = make_category("Widgets", slug="widgets")
    owner = make_user("carol", password_hash=password_hash())
    user = make_user("oscar", password_hash=password_hash())
    staff = make_user("stella", password_hash=password_hash(), is_staff=True)
    mine = make_package("mine", category=category, created_by_id=owner.id)
    listed = make_package("listed", category=category, created_by_id=user.id)
    grid = make_grid("Widget grid", slug="widgetgrid", packages=[listed], features=1)
    member = grid.grid_packages[0]
    feature = grid.features[0]
    change = Change(object_type="package", object_id=listed.id, package_id=listed.id, user_id=user.id,
                    field="title", old_value="Listed before", new_value=listed.title, summary="renamed")
    flag = Flag(package_id=listed.id, user_id=user.id, reason="Looks like spam")
    example = PackageExample(package_id=listed.id, title="Example site", url="https://example.org/",
                             created_by_id=user.id)
    db.session.add_all([change, flag, Usage(user_id=user.id, package_id=listed.id), example,
                        ReleaseCycle(product=SupportProduct.DJANGO, cycle="5.2", latest="5.2.1")])
    db.session.commit()
    featured = FeaturedGrid(grid_id=grid.id, position=1)
    db.session.add(featured)
    db.session.commit()
    return World(category=category, owner=owner, user=user, staff=staff, mine=mine, listed=listed, grid=grid,
                 member=member, feature=feature, change=change, flag=flag, example=example,
                 featured=featured)


@pytest.fixture
def world(app, auth) -> World:
    """A :class:`World` with ``clients[role]`` for every role in :data:`ROLES`."""
    built = make_world()
    built.clients["anonymous"] = app.test_client()
    for role, person in (("user", built.user), ("owner", built.owner), ("staff", built.staff)):
        built.clients[role] = auth.client_for(person)
    return built


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table the models define, in primary-key order."""
    db.session.expire_all()
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
    return rows


def differences(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ: name -> (rows before, rows after)."""
    return {name: (len(before[name]), len(after.get(name, []))) for name in before if before[name] != after.get(name)}


def all_rules() -> list[Rule]:
    """Every rule of the app, in a stable order."""
    return sorted(current_app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))


def int_arguments(rule: Rule) -> list[str]:
    """The names of ``rule``'s integer arguments."""
    return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]


def check_fillers_cover_every_rule(world: World) -> dict[str, dict]:
    """The URL fillers, after checking they cover exactly the rules that take arguments: a new route with
    arguments must get a filler (and a removed one loses its filler), or the sweeps would skip it."""
    fillers = world.url_arguments()
    needing = {rule.endpoint for rule in all_rules() if rule.arguments}
    missing = needing - set(fillers)
    assert not missing, f"add URL-argument fillers to tests/route_sweep.py World.url_arguments for: {sorted(missing)}"
    stale = set(fillers) - needing
    assert not stale, f"fillers for endpoints that no longer take arguments: {sorted(stale)}"
    for endpoint, values in fillers.items():
        rule_arguments = {frozenset(rule.arguments) for rule in all_rules() if rule.endpoint == endpoint}
        assert rule_arguments == {frozenset(values)}, f"{endpoint}: filler {sorted(values)} vs {rule_arguments}"
    return fillers


def url_for_rule(rule: Rule, values: dict, method: str) -> str:
    """The path of ``rule`` with ``values`` (no validation by the converters, so huge numbers go through)."""
    adapter = current_app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=method)
