"""How long drawing a chart takes: a year of daily points, with releases, and a year of weekly bars.

Run ``python -m bench.charts`` (or ``python bench/charts.py``): it prints the time per chart, which must stay
under 5 ms (the package page's chart is drawn at fetch time, the open statistics page draws six per view).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp import charts  # noqa: E402

BUDGET_MS = 5.0


def year_of_daily_points(seed: int = 1) -> tuple[list[tuple[date, int]], list[charts.Marker]]:
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    stars, points = 1000, []
    for day in range(365):
        stars = max(0, stars + rng.randrange(-2, 9))
        points.append((start + timedelta(days=day), stars))
    releases = [charts.Marker(start + timedelta(days=day), f"1.{index}") for index, day in
                enumerate(range(10, 365, 30))]
    return points, releases


def measure(draw, rounds: int) -> float:
    """Milliseconds per call, the best of five runs of ``rounds`` calls."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(rounds):
            draw()
        best = min(best, (time.perf_counter() - started) / rounds * 1000)
    return best


def main() -> int:
    points, releases = year_of_daily_points()
    weekly = [random.Random(2).randrange(0, 400) for _ in range(52)]
    axis = charts.time_axis([date(2012, 5, 1)], date(2026, 11, 30))
    results = {
        "line chart, 365 daily points and 12 releases": measure(lambda: charts.line_chart(points, releases), 200),
        "bar chart, 52 weekly counts": measure(lambda: charts.bar_chart(weekly, date(2025, 12, 1), name="Edits"),
                                               500),
        "timesheet row": measure(lambda: charts.life_line(axis, date(2013, 1, 1), date(2025, 6, 1),
                                                          date(2026, 10, 1), state="active", title="x"), 2000),
    }
    width = max(map(len, results))
    for name, milliseconds in results.items():
        print(f"{name:<{width}}  {milliseconds:7.3f} ms per chart")
    slowest = max(results.values())
    print(f"slowest: {slowest:.3f} ms (budget {BUDGET_MS} ms): {'OK' if slowest < BUDGET_MS else 'TOO SLOW'}")
    return 0 if slowest < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
