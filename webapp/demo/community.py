"""Demo favorites and "sites using it": some stars on popular packages, and a few example sites."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from webapp.catalog.models import Favorite, Package, PackageExample
from webapp.extensions import db

# Made-up sites on reserved example domains: the demo claims nothing about real sites.
DEMO_SITES = [
    ("Example Community Forum", "https://forum.example.org/"),
    ("Demo Bookshop", "https://books.example.com/"),
    ("City Library Catalogue", "https://library.example.net/"),
    ("Acme Intranet", "https://intranet.example.com/"),
    ("Open Recipes", "https://recipes.example.org/"),
    ("Conference Tickets", "https://tickets.example.net/"),
]


def add_favorites_and_sites(packages: list[Package], users: list, seed: int, now: datetime) -> dict[str, int]:
    """Star popular packages for the demo people (half of them show their favorites) and list example sites
    on a few packages. ``packages.favorite_count`` follows by its triggers (webapp/counters.py)."""
    rng = random.Random(seed)
    popular = sorted(packages, key=lambda p: p.repo_watchers, reverse=True)[:60]
    favorites = 0
    for index, user in enumerate(users):
        user.favorites_public = index % 2 == 0
        for package in rng.sample(popular, k=rng.randrange(2, 9)):
            db.session.add(Favorite(user_id=user.id, package_id=package.id,
                                    created=now - timedelta(days=rng.randrange(1, 600))))
            favorites += 1
    sites = 0
    for package in popular[:4] + [p for p in packages if p.slug == "django-invitations"]:
        for title, url in rng.sample(DEMO_SITES, k=rng.randrange(2, 4)):
            db.session.add(PackageExample(package_id=package.id, title=title, url=url,
                                          created_by_id=rng.choice(users).id,
                                          created=now - timedelta(days=rng.randrange(1, 300))))
            sites += 1
    db.session.flush()
    return {"favorites": favorites, "sites": sites}
