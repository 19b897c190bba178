"""Load the demo catalogue: categories, several hundred real packages, grids, users and usage."""

from __future__ import annotations

import csv
import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from webapp.accounts.models import User
from webapp.catalog.models import Category, Package, Usage, Version
from webapp.catalog.releases import refresh_current_release_and_score
from webapp.demo.community import add_favorites_and_sites
from webapp.demo.featured import add_featured
from webapp.demo.health import add_illustrative_health
from webapp.demo.history import add_illustrative_history
from webapp.demo.profiles import add_demo_profiles
from webapp.demo.readiness import add_illustrative_classifiers, load_release_cycles
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.sequences import reset_sequences

DATA = Path(__file__).resolve().parent / "data"
SEED_PACKAGE_FILE = DATA / "django-invitations-2674.json"

# djangopackages.org's categories, with its ids, so API links keep their meaning.
CATEGORIES = [
    (1, "App", "apps", "Apps", "Small components used to build projects: reusable Django apps.", True),
    (2, "Framework", "frameworks", "Frameworks",
     "Large efforts that combine many Python modules or apps, such as REST or CMS frameworks.", True),
    (3, "Other", "other", "Other", "Other kinds of packages: tools, libraries and plugins.", True),
    (4, "Project", "projects", "Projects",
     "Complete sites and project templates, which you run or start from rather than install.", False),
]
CATEGORY_BY_NAME = {"Apps": 1, "Frameworks": 2, "Other": 3, "Projects": 4}

DEMO_USERS = [
    ("ada", "Ada Okafor"), ("bruno", "Bruno Lima"), ("chen", "Chen Wei"), ("dana", "Dana Kowalski"),
    ("emeka", "Emeka Eze"), ("freya", "Freya Lindqvist"), ("gita", "Gita Raman"), ("hugo", "Hugo Martin"),
    ("ines", "Inês Carvalho"), ("jonas", "Jonas Becker"), ("kiri", "Kiri Walker"), ("lena", "Lena Horvat"),
    ("mateo", "Mateo Rossi"), ("nadia", "Nadia Haddad"), ("oskar", "Oskar Nowak"), ("priya", "Priya Nair"),
]


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime."""
    return datetime.fromisoformat(value) if value else None


def read_packages() -> list[dict]:
    with (DATA / "packages.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def read_grids() -> list[dict]:
    return json.loads((DATA / "grids.json").read_text(encoding="utf-8"))


def is_empty() -> bool:
    """True when the database has no packages yet."""
    return (db.session.scalar(select(func.count()).select_from(Package)) or 0) == 0


def _month_to_datetime(month: str, rng: random.Random) -> datetime:
    try:
        year, mon = (int(part) for part in month.split("-"))
    except ValueError:
        year, mon = 2020, 1
    moment = datetime(year, mon, 1 + rng.randrange(27), rng.randrange(24), rng.randrange(60), tzinfo=timezone.utc)
    return min(moment, datetime.now(timezone.utc) - timedelta(days=1))


def _illustrative_stats(row: dict, rng: random.Random, now: datetime) -> dict:
    """Plausible statistics from a package's download rank and latest release month."""
    if not row.get("repo_url"):
        # Without a repository there is nothing to count: the page says "not fetched yet".
        return {"repo_watchers": 0, "repo_forks": 0, "commits_over_52": [], "participants": [],
                "last_commit_date": None, "release": _month_to_datetime(row["month"], rng)}
    rank = int(row["rank"]) if row.get("rank") else 20000 + rng.randrange(20000)
    stars = int(max(3, 60000 / math.sqrt(rank) * rng.uniform(0.4, 1.6)))
    release = _month_to_datetime(row["month"], rng)
    active = (now - release).days < 400
    weekly_rate = (stars ** 0.35) / 3 if active else 0
    commits = [max(0, int(rng.gauss(weekly_rate, weekly_rate))) if rng.random() < 0.75 else 0 for _ in range(52)]
    participants = [f"contributor-{rng.randrange(10000)}" for _ in range(min(40, 1 + stars // 300))]
    return {
        "repo_watchers": stars,
        "repo_forks": int(stars * rng.uniform(0.08, 0.25)),
        "commits_over_52": commits,
        "participants": participants,
        "last_commit_date": min(now - timedelta(hours=rng.randrange(1, 72)),
                                release + timedelta(days=rng.randrange(60))),
        "release": release,
    }


def _development_status(version: str) -> str:
    lowered = version.lower()
    if any(marker in lowered for marker in ("a", "b", "rc", "dev")) and not lowered.replace(".", "").isdigit():
        return "4 - Beta"
    return "5 - Production/Stable" if not version.startswith("0.") else "4 - Beta"


def load_demo(seed: int = 2674) -> dict[str, int]:
    """Insert the demo data into an empty database; returns what was created."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    for id_, title, slug, plural, description, show_pypi in CATEGORIES:
        db.session.add(Category(id=id_, title=title, slug=slug, title_plural=plural, description=description,
                                show_pypi=show_pypi, created=datetime(2010, 8, 1, tzinfo=timezone.utc),
                                modified=datetime(2010, 8, 1, tzinfo=timezone.utc)))
    users = [User(username=username, display_name=name, email=f"{username}@example.org",
                  created=now - timedelta(days=rng.randrange(30, 2000))) for username, name in DEMO_USERS]
    db.session.add_all(users)
    db.session.flush()

    seed_package = json.loads(SEED_PACKAGE_FILE.read_text(encoding="utf-8"))
    packages: dict[str, Package] = {}
    next_id = 1
    for row in read_packages():
        name = row["name"]
        if name == seed_package["slug"]:
            package = _seed_package(seed_package)
        else:
            if next_id == seed_package["id"]:
                next_id += 1
            stats = _illustrative_stats(row, rng, now)
            created = stats["release"] - timedelta(days=rng.randrange(30, 1500))
            package = Package(
                id=next_id, title=name, slug=name.lower(), category_id=CATEGORY_BY_NAME.get(row["category"], 1),
                repo_url=row.get("repo_url") or "", pypi_url=f"https://pypi.org/project/{name}",
                documentation_url=row.get("documentation_url") or "", repo_description=row["summary"],
                repo_watchers=stats["repo_watchers"], repo_forks=stats["repo_forks"],
                participants=stats["participants"], commits_over_52=stats["commits_over_52"],
                pypi_version=row["version"], last_commit_date=stats["last_commit_date"],
                created=created, modified=max(created, stats["release"]), stats_are_demo=True,
            )
            next_id += 1
            package.versions.append(Version(
                number=row["version"], upload_time=stats["release"], license="",
                development_status=_development_status(row["version"]), supports_python3=True,
            ))
        packages[name] = package
        db.session.add(package)
    db.session.flush()

    grid_count = feature_count = cell_count = 0
    for spec in read_grids():
        created = now - timedelta(days=rng.randrange(200, 4000))
        grid = Grid(id=spec["id"], slug=spec["slug"], title=spec["title"], description=spec["description"],
                    created=created, modified=now - timedelta(days=rng.randrange(1, 200)),
                    created_by_id=rng.choice(users).id)
        db.session.add(grid)
        grid_count += 1
        members = {}
        for name in spec["packages"]:
            if name in packages and name not in members:
                members[name] = GridPackage(grid=grid, package=packages[name], created=created)
                db.session.add(members[name])
        grid.package_count = len(members)
        for feature_spec in spec["features"]:
            feature = Feature(grid=grid, title=feature_spec["title"], description=feature_spec.get("description", ""),
                              created=created, modified=created)
            db.session.add(feature)
            feature_count += 1
            for name, cell in feature_spec.get("cells", {}).items():
                if name in members:
                    db.session.add(Element(grid_package=members[name], feature=feature, text=cell,
                                           created=created, modified=created))
                    cell_count += 1
    db.session.flush()

    usage_count = 0
    popular = sorted(packages.values(), key=lambda p: p.repo_watchers, reverse=True)[:120]
    for user in users:
        for package in rng.sample(popular, k=rng.randrange(4, 18)):
            db.session.add(Usage(user_id=user.id, package_id=package.id,
                                 created=now - timedelta(days=rng.randrange(1, 900))))
            package.usage_count += 1
            usage_count += 1
    add_illustrative_health(packages, None, now)
    add_illustrative_classifiers(packages.values(), load_release_cycles(), seed + 12)
    for package in packages.values():
        refresh_current_release_and_score(package)
    db.session.flush()
    add_illustrative_history(packages.values(), rng, now)
    add_featured(packages)
    community = add_favorites_and_sites(list(packages.values()), users, seed + 13, now)
    community["linked_participants"] = add_demo_profiles(users, list(packages.values()), seed + 14, now)
    reset_sequences()
    db.session.flush()
    return {"categories": len(CATEGORIES), "packages": len(packages), "grids": grid_count,
            "features": feature_count, "cells": cell_count, "users": len(users), "usages": usage_count, **community}


def _seed_package(seed: dict) -> Package:
    """django-invitations exactly as djangopackages.org's API v4 returns it."""
    package = Package(
        id=seed["id"], title=seed["title"], slug=seed["slug"], category_id=1,
        repo_url=seed["repo_url"], pypi_url=seed["pypi_url"], documentation_url=seed["documentation_url"] or "",
        repo_description=seed["repo_description"], repo_watchers=seed["repo_watchers"],
        repo_forks=seed["repo_forks"], participants=list(seed["participants"]),
        commits_over_52=list(seed["commits_over_52"]), pypi_version=seed["pypi_version"],
        last_commit_date=parse_datetime(seed["last_updated"]), last_fetched=parse_datetime(seed["last_fetched"]),
        created=parse_datetime(seed["created"]), modified=parse_datetime(seed["modified"]), stats_are_demo=True,
    )
    package.versions.append(Version(
        number=seed["pypi_version"], upload_time=datetime(2023, 11, 24, 12, 2, 37, tzinfo=timezone.utc),
        license="GPL-3.0-only", development_status="5 - Production/Stable", supports_python3=True,
    ))
    return package
