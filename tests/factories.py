"""Small builders for test data, written straight to the real database."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from webapp.accounts.models import User
from webapp.catalog.models import Category, Package, Version
from webapp.catalog.releases import refresh_current_release_and_score
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage

_counter = itertools.count(1)


def make_category(title: str = "App", slug: str | None = None, **fields) -> Category:
    category = Category(title=title, slug=slug or f"{title.lower()}-{next(_counter)}", title_plural=title + "s",
                        **fields)
    db.session.add(category)
    db.session.commit()
    return category


def make_user(username: str | None = None, *, password: str | None = None, **fields) -> User:
    from werkzeug.security import generate_password_hash

    user = User(username=username or f"user{next(_counter)}", **fields)
    if password:
        user.password_hash = generate_password_hash(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_package(title: str | None = None, *, category: Category | None = None, versions: int = 1,
                 **fields) -> Package:
    title = title or f"package-{next(_counter)}"
    category = category or make_category()
    now = datetime.now(timezone.utc)
    fields.setdefault("repo_url", f"https://github.com/example/{title}")
    fields.setdefault("repo_watchers", 10)
    fields.setdefault("commits_over_52", [1] * 52)
    fields.setdefault("participants", ["alice", "bob"])
    fields.setdefault("last_commit_date", now - timedelta(days=3))
    package = Package(title=title, slug=fields.pop("slug", title.lower()), category=category, **fields)
    for index in range(versions):
        package.versions.append(Version(number=f"1.{index}", upload_time=now - timedelta(days=versions - index),
                                        license="MIT", development_status="5 - Production/Stable",
                                        supports_python3=True))
    # As the app's writers do; a score the test gives is kept, since tests set it to order packages.
    refresh_current_release_and_score(package)
    if "score" in fields:
        package.score = fields["score"]
    db.session.add(package)
    db.session.commit()
    return package


def make_grid(title: str | None = None, *, packages: list[Package] = (), features: int = 0,
              fill: bool = True, **fields) -> Grid:
    title = title or f"Grid {next(_counter)}"
    grid = Grid(title=title, slug=fields.pop("slug", title.lower().replace(" ", "-")), **fields)
    db.session.add(grid)
    members = [GridPackage(grid=grid, package=package) for package in packages]
    db.session.add_all(members)
    grid.package_count = len(members)
    for index in range(features):
        feature = Feature(grid=grid, title=f"Feature {index + 1}", description=f"What feature {index + 1} means")
        db.session.add(feature)
        if fill:
            for member in members:
                db.session.add(Element(grid_package=member, feature=feature, text="yes — works"))
    db.session.commit()
    return grid
