"""endoflife.date's API: ``GET <ENDOFLIFE_URL>/<product>.json``, a list of release cycles, newest first.

Each cycle has ``cycle``, ``releaseDate``, ``support`` and ``eol`` (each a date or a yes/no), ``latest``,
``latestReleaseDate`` and ``lts`` (a yes/no, or in older answers a date). An answer that is not such a list,
or has no usable cycle, is refused as a whole, so a bad answer never replaces good data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from webapp.catalog.models import SupportProduct

_CYCLE = re.compile(r"^\d+(\.\d+)*$")


class MalformedAnswer(ValueError):
    """The answer is not endoflife.date's list of cycles."""


@dataclass(frozen=True)
class CycleData:
    """One cycle as the API describes it, ready to store."""

    cycle: str
    release_date: date | None
    support_date: date | None
    support_flag: bool | None
    eol_date: date | None
    eol_flag: bool | None
    latest: str
    latest_release_date: date | None
    lts: bool


def _date(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _date_or_flag(value) -> tuple[date | None, bool | None]:
    """A field that is a date or a yes/no: (the date, None) or (None, the yes/no); (None, None) when neither."""
    if isinstance(value, bool):
        return None, value
    return _date(value), None


def parse_cycles(product: SupportProduct, body) -> list[CycleData]:
    """The usable cycles of one product's answer; :class:`MalformedAnswer` when there is none."""
    if not isinstance(body, list):
        raise MalformedAnswer(f"{product.label}: the answer is not a list of release cycles")
    cycles: dict[str, CycleData] = {}
    for item in body:
        if not isinstance(item, dict):
            continue
        cycle = str(item.get("cycle") or "").strip()
        if not _CYCLE.match(cycle) or len(cycle) > 20 or cycle in cycles:
            continue
        support_date, support_flag = _date_or_flag(item.get("support"))
        eol_date, eol_flag = _date_or_flag(item.get("eol"))
        latest = item.get("latest")
        cycles[cycle] = CycleData(
            cycle=cycle, release_date=_date(item.get("releaseDate")), support_date=support_date,
            support_flag=support_flag, eol_date=eol_date, eol_flag=eol_flag,
            latest=str(latest)[:50] if isinstance(latest, (str, int, float)) else "",
            latest_release_date=_date(item.get("latestReleaseDate")),
            # Older answers give the date a cycle became LTS instead of true.
            lts=item.get("lts") is True or _date(item.get("lts")) is not None,
        )
    if not cycles:
        raise MalformedAnswer(f"{product.label}: the answer lists no release cycle")
    return list(cycles.values())
