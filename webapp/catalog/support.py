"""Which Django, Python and Wagtail versions a release declares, read from its trove classifiers.

``Framework :: Django :: 4.2``, ``Programming Language :: Python :: 3.12`` and ``Framework :: Wagtail :: 6``
are what PyPI's classifiers say; they are worked out when a release's classifiers are written (a listener on
``Version.classifiers``) and stored, so pages and grids only read lists. Pure functions: no database here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Protocol

_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_MINOR = re.compile(r"^\d+\.\d+$")
PREFIXES = {
    "django": "Framework :: Django :: ",
    # Only X.Y counts for Python: "Python :: 3" says nothing about which 3.x a release runs on.
    "python": "Programming Language :: Python :: ",
    "wagtail": "Framework :: Wagtail :: ",
}
WAGTAIL = "Framework :: Wagtail"


@dataclass(frozen=True)
class DeclaredSupport:
    """What a release's classifiers declare: version lists, oldest first, and whether it is a Wagtail package."""

    django: list[str] = field(default_factory=list)
    python: list[str] = field(default_factory=list)
    wagtail: list[str] = field(default_factory=list)
    for_wagtail: bool = False


def version_key(number: str) -> tuple[int, ...]:
    """``"3.10"`` -> ``(3, 10)``: versions sort as numbers, not text."""
    return tuple(int(part) for part in number.split(".") if part.isdigit())


def declared_support(classifiers: Iterable[str]) -> DeclaredSupport:
    """The versions ``classifiers`` declare support for, each list sorted and without repeats."""
    found: dict[str, set[str]] = {product: set() for product in PREFIXES}
    for_wagtail = False
    for classifier in classifiers:
        if not isinstance(classifier, str):
            continue
        classifier = classifier.strip()
        if classifier == WAGTAIL or classifier.startswith(WAGTAIL + " :: "):
            for_wagtail = True
        for product, prefix in PREFIXES.items():
            if not classifier.startswith(prefix):
                continue
            number = classifier[len(prefix):].strip()
            pattern = _MINOR if product == "python" else _NUMBER
            if pattern.match(number):
                found[product].add(number)
    ordered = {product: sorted(numbers, key=version_key) for product, numbers in found.items()}
    return DeclaredSupport(django=ordered["django"], python=ordered["python"], wagtail=ordered["wagtail"],
                           for_wagtail=for_wagtail or bool(ordered["wagtail"]))


def declares_cycle(declared: Iterable[str], cycle: str) -> bool:
    """Whether a list of declared versions covers ``cycle``: the same version, or its major version alone
    (``Framework :: Wagtail :: 6`` declares every Wagtail 6.x)."""
    major = cycle.split(".", 1)[0]
    return any(number == cycle or ("." not in number and number == major) for number in declared or ())


def newest_key(declared: Iterable[str]) -> tuple:
    """A grid's sort key for a "versions" row: the newest version declared first, then how many."""
    numbers = list(declared or ())
    return (max((version_key(number) for number in numbers), default=()), len(numbers))


class _Cycle(Protocol):
    product: str
    cycle: str
    release_date: date | None

    def is_eol(self, today: date) -> bool: ...


class CycleTable:
    """The known release cycles, for greying declared versions past their end of life on a given day."""

    def __init__(self, cycles: Iterable[_Cycle], today: date):
        self.today = today
        self.cycles: dict[str, list[_Cycle]] = {}
        for cycle in cycles:
            self.cycles.setdefault(str(cycle.product), []).append(cycle)

    def is_eol(self, product: str, number: str) -> bool:
        """Past end of life: the cycle itself, or for a major version alone, every known cycle of it."""
        cycles = self.cycles.get(str(product), [])
        matching = [cycle for cycle in cycles if cycle.cycle == number]
        if not matching and "." not in number:
            matching = [cycle for cycle in cycles if cycle.cycle.split(".", 1)[0] == number]
        return bool(matching) and all(cycle.is_eol(self.today) for cycle in matching)

    def supported(self, product: str) -> list[_Cycle]:
        """The product's cycles released and not past end of life, newest first."""
        cycles = [cycle for cycle in self.cycles.get(str(product), [])
                  if not cycle.is_eol(self.today) and (cycle.release_date is None or cycle.release_date <= self.today)]
        return sorted(cycles, key=lambda cycle: version_key(cycle.cycle), reverse=True)

    def upgrade_targets(self, products: Iterable[str]) -> list[tuple[str, list[_Cycle]]]:
        """``(product, its supported cycles)`` for each of ``products`` that has any, in the order given."""
        targets = [(str(product), self.supported(product)) for product in products]
        return [(product, cycles) for product, cycles in targets if cycles]
