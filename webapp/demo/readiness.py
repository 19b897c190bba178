"""Demo release cycles (a snapshot of endoflife.date kept in data/endoflife/) and illustrative classifiers.

The demo's releases come without classifiers, so each is given the Django and Python versions (and Wagtail
versions, for Wagtail packages) that were supported when it came out, now and then leaving out the newest (a
package that lags) or declaring none, so the readiness pages and the versions rows show every case.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Iterable

from webapp.catalog.models import Package, SupportProduct
from webapp.readiness.endoflife import CycleData, parse_cycles
from webapp.readiness.services import store_cycles

ENDOFLIFE = Path(__file__).resolve().parent / "data" / "endoflife"
PREFIXES = {SupportProduct.DJANGO: "Framework :: Django :: ",
            SupportProduct.PYTHON: "Programming Language :: Python :: ",
            SupportProduct.WAGTAIL: "Framework :: Wagtail :: "}


def load_release_cycles() -> dict[SupportProduct, list[CycleData]]:
    """Store the snapshot's cycles (flushed, not committed); returns them by product."""
    cycles = {}
    for product in SupportProduct:
        body = json.loads((ENDOFLIFE / f"{product.value}.json").read_text(encoding="utf-8"))
        cycles[product] = parse_cycles(product, body)
        store_cycles(product, cycles[product])
    return cycles


def _supported_on(cycles: list[CycleData], day: date) -> list[CycleData]:
    """The cycles out and not past end of life on ``day``, oldest first."""
    alive = [cycle for cycle in cycles if cycle.release_date and cycle.release_date <= day
             and not cycle.eol_flag and (cycle.eol_date is None or cycle.eol_date >= day)]
    return sorted(alive, key=lambda cycle: cycle.release_date)


def add_illustrative_classifiers(packages: Iterable[Package], cycles: dict[SupportProduct, list[CycleData]],
                                 seed: int) -> None:
    """Give every demo release classifiers declaring what was supported when it came out (see the module)."""
    rng = random.Random(seed)
    for package in packages:
        for release in package.versions:
            if release.classifiers or release.upload_time is None:
                continue
            if rng.random() < 0.08:  # some projects declare no versions at all
                release.classifiers = ["Framework :: Django", "Programming Language :: Python :: 3"]
                continue
            day = release.upload_time.date()
            products = [SupportProduct.PYTHON]
            if package.slug != "django":
                products.append(SupportProduct.DJANGO)
            wagtail = "wagtail" in package.slug
            if wagtail:
                products.append(SupportProduct.WAGTAIL)
            classifiers = ["Framework :: Django", "Programming Language :: Python :: 3"]
            if wagtail:
                classifiers.append("Framework :: Wagtail")
            for product in products:
                numbers = [cycle.cycle for cycle in _supported_on(cycles[product], day)]
                if product == SupportProduct.WAGTAIL:  # Wagtail's classifiers name major versions
                    numbers = list(dict.fromkeys(number.split(".")[0] for number in numbers))
                if len(numbers) > 1 and rng.random() < 0.3:
                    numbers = numbers[:-1]  # lagging behind the newest
                classifiers += [PREFIXES[product] + number for number in numbers]
            release.classifiers = classifiers
