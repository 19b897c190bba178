"""Demo profiles: bios, links elsewhere and confirmed addresses for some demo people, and a few of them named as
participants of popular packages, so package pages link to their profiles here."""

from __future__ import annotations

import random
from datetime import datetime

from webapp.catalog.models import Package

DEMO_BIOS = {
    "ada": "Backend developer. I maintain a few **small Django apps** and write about testing.\n\n"
           "- Likes: boring technology, good docs\n- Dislikes: magic",
    "bruno": "Building sites for museums and libraries. Happy to compare *CMS* options with you.",
    "chen": "Data engineer. Mostly Celery, caching and `asyncio` these days.",
    "dana": "Accessibility advocate and front-end person. Ask me about forms.",
    "freya": "I keep the search grids tidy. Corrections welcome!",
}


def add_demo_profiles(users: list, packages: list[Package], seed: int, now: datetime) -> int:
    """Fill in the profiles of the demo people; returns how many participants were linked to them."""
    rng = random.Random(seed)
    by_name = {user.username: user for user in users}
    for index, user in enumerate(users):
        user.bio = DEMO_BIOS.get(user.username, "")
        user.website_url = f"https://{user.username}.example.org" if index % 3 == 0 else ""
        user.mastodon_url = f"https://social.example.net/@{user.username}" if index % 4 == 1 else ""
        user.email_verified_at = now if index % 2 == 0 else None
    # The names in demo participant lists are made up, like the rest of the demo's repository statistics.
    popular = sorted((package for package in packages if package.participants),
                     key=lambda package: package.repo_watchers, reverse=True)[:40]
    linked = 0
    for username in ("ada", "chen", "freya"):
        user = by_name.get(username)
        if user is None or not popular:
            continue
        handle = rng.choice(rng.choice(popular).participants)
        user.github_handle = handle
        linked += sum(handle in package.participants for package in packages)
    return linked
