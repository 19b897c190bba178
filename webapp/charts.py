"""Server-side charts: plain SVG and HTML, no JavaScript, drawn from series handed in (no database here).

Every chart shares one frame (:func:`_frame`): an SVG plot stretched to the width of its box
(``preserveAspectRatio="none"``) at a fixed height of :data:`PLOT_HEIGHT` CSS pixels, so one vertical unit is one
pixel; strokes and dots keep their size whatever the width (``vector-effect: non-scaling-stroke`` in the CSS).
Axis labels are HTML beside the plot, spread by flexbox at the top, middle and bottom (where the grid lines are
drawn) and at the start, middle and end of the time axis: readable at any width, and no inline style, which the
Content-Security-Policy forbids. The functions are pure, fast (a year of daily points draws in well under a
millisecond; bench/charts.py measures it) and return HTML strings with every piece of text escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

PLOT_WIDTH = 1000  # viewBox units, stretched to the box's width
PLOT_HEIGHT = 160  # viewBox units and CSS pixels (the .chart-plot height in site.css)
PLOT_MARGIN = 8  # half a label's line height: the top and bottom grid lines sit at the labels' centres
MAX_DOTS = 60  # point markers are drawn for sparse series only; a daily year reads as a line


@dataclass(frozen=True)
class Marker:
    """An event on a time axis (a release): its day and its label."""

    day: date
    label: str


def short_number(value: float) -> str:
    """1234 -> '1,234', 12345 -> '12.3k', 1234567 -> '1.2M'."""
    value = round(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:,}"


def day_label(day: date) -> str:
    """Mar 3, 2026."""
    return f"{day.strftime('%b')} {day.day}, {day.year}"


def _y(value: float, low: float, high: float) -> float:
    span = high - low or 1
    return PLOT_MARGIN + (high - value) / span * (PLOT_HEIGHT - 2 * PLOT_MARGIN)


_NICE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)


def nice_ceiling(value: float) -> int:
    """The smallest even "round" number (2, 4, 6, 10, 12, 16, 20, ..., 240, 300, ...) at least ``value``: a bar
    chart's top, whose half (the middle label) is a whole number too."""
    magnitude = 1
    while True:
        for step in _NICE_STEPS:
            half = step * magnitude
            if half == int(half) and 2 * half >= value:
                return int(2 * half)
        magnitude *= 10


def _value_range(values: list[int], *, from_zero: bool = False) -> tuple[int, int]:
    if from_zero:
        return 0, nice_ceiling(max(max(values), 1))
    low, high = min(values), max(values)
    if low == high:  # a flat series: centred, with the labels a step apart
        return low - 1, high + 1
    return low, high


def _frame(svg_inner: str, *, low: float, high: float, x_labels: list[str], label: str, legend: str,
           points: int) -> str:
    """The chart's HTML: value labels, the plot, the time labels and the legend."""
    middle = (low + high) / 2
    y_labels = "".join(f"<span>{escape(short_number(value))}</span>" for value in (high, middle, low))
    x_html = "".join(f"<span>{escape(text)}</span>" for text in x_labels)
    grid = (f"M0 {PLOT_MARGIN}H{PLOT_WIDTH}M0 {PLOT_HEIGHT / 2:g}H{PLOT_WIDTH}"
            f"M0 {PLOT_HEIGHT - PLOT_MARGIN}H{PLOT_WIDTH}")
    return (
        f'<figure class="chart">'
        f'<div class="chart-body"><div class="chart-y" aria-hidden="true">{y_labels}</div>'
        f'<div class="chart-main"><svg class="chart-plot" viewBox="0 0 {PLOT_WIDTH} {PLOT_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(label)}" data-points="{points}">'
        f'<path class="chart-grid" d="{grid}"></path>{svg_inner}</svg>'
        f'<div class="chart-x" aria-hidden="true">{x_html}</div></div></div>'
        f'<figcaption class="chart-legend">{legend}</figcaption></figure>'
    )


def _time_labels(first: date, last: date) -> list[str]:
    if first == last:
        return [day_label(first)]
    return [day_label(first), day_label(first + (last - first) / 2), day_label(last)]


def line_chart(points: list[tuple[date, int]], markers: list[Marker] = (), *, name: str = "Stars",
               marker_name: str = "Releases", note: str = "") -> str:
    """A series of (day, value) as a line over time, with ``markers`` (releases) as vertical lines; "" when there
    is no point. ``points`` must be in day order; markers outside their days are left out."""
    if not points:
        return ""
    first, last = points[0][0], points[-1][0]
    start, end = (first - timedelta(days=1), last + timedelta(days=1)) if first == last else (first, last)
    span = (end - start).days
    low, high = _value_range([value for _day, value in points])

    def x(day: date) -> float:
        return (day - start).days / span * PLOT_WIDTH

    coordinates = [f"{x(day):.1f} {_y(value, low, high):.1f}" for day, value in points]
    line = "M" + "L".join(coordinates)
    bottom = PLOT_HEIGHT - PLOT_MARGIN
    area = f"{line}L{x(points[-1][0]):.1f} {bottom}L{x(points[0][0]):.1f} {bottom}Z"
    parts = [f'<path class="chart-area" d="{area}"></path>', f'<path class="chart-line" d="{line}"></path>']
    if len(points) <= MAX_DOTS:
        parts.append(f'<path class="chart-dots" d="{"".join(f"M{c}h0" for c in coordinates)}"></path>')
    shown = [marker for marker in markers if start <= marker.day <= end]
    for marker in shown:
        parts.append(f'<path class="chart-marker" d="M{x(marker.day):.1f} 0V{PLOT_HEIGHT}">'
                     f'<title>{escape(marker.label)}, {day_label(marker.day)}</title></path>')
    change = points[-1][1] - points[0][1]
    label = (f"{name} from {day_label(first)} to {day_label(last)}: {points[0][1]:,} to {points[-1][1]:,}"
             + (f"; {len(shown)} {marker_name.lower()}" if shown else ""))
    legend = (f'<span class="key key-line"></span>{escape(name)} '
              f'<span class="muted">({"+" if change >= 0 else "−"}{abs(change):,} over {len(points)} '
              f'snapshot{"s" if len(points) != 1 else ""})</span>')
    if shown:
        latest = shown[-1]
        legend += (f' <span class="key key-marker"></span>{escape(marker_name)} '
                   f'<span class="muted">({len(shown)}; latest {escape(latest.label)} on {day_label(latest.day)})'
                   f'</span>')
    if note:
        legend += f' <span class="muted">{escape(note)}</span>'
    return _frame("".join(parts), low=low, high=high, x_labels=_time_labels(first, last), label=label,
                  legend=legend, points=len(points))


def bar_chart(counts: list[int], start: date, *, name: str, period_days: int = 7, today: date | None = None,
              tone: str = "") -> str:
    """Counts per period (a week by default) from ``start``, oldest first, as bars; "" without periods. The time
    axis ends at ``today`` when the last period is still running; ``tone`` ("bad") colours the bars."""
    if not counts:
        return ""
    low, high = _value_range(counts, from_zero=True)
    width = PLOT_WIDTH / len(counts)
    bar = max(width * 0.75, 1)
    bottom = PLOT_HEIGHT - PLOT_MARGIN
    bars = []
    for index, count in enumerate(counts):
        if count > 0:
            top = _y(count, low, high)
            bars.append(f"M{index * width:.1f} {top:.1f}h{bar:.1f}V{bottom}h-{bar:.1f}z")
    last_day = start + timedelta(days=period_days * len(counts) - 1)
    if today is not None:
        last_day = min(last_day, today)
    period = "week" if period_days == 7 else f"{period_days} days"
    label = f"{name} per {period} from {day_label(start)} to {day_label(last_day)}: {sum(counts):,} in all"
    key = f"key key-bar key-bar-{escape(tone)}" if tone else "key key-bar"  # the swatch takes the bars' colour
    legend = (f'<span class="{key}"></span>{escape(name)} per {period} '
              f'<span class="muted">({sum(counts):,} in {len(counts)} {period}s)</span>')
    css = f"chart-bars chart-bars-{escape(tone)}" if tone else "chart-bars"
    return _frame(f'<path class="{css}" d="{"".join(bars)}"></path>', low=low, high=high,
                  x_labels=_time_labels(start, last_day), label=label, legend=legend, points=len(counts))


def trend(counts: list[int], recent: int = 4) -> tuple[int, int, float | None]:
    """The last ``recent`` periods' total, the ``recent`` before's, and the change in percent (None from 0)."""
    now, before = sum(counts[-recent:]), sum(counts[-2 * recent:-recent])
    return now, before, (None if before == 0 else (now - before) / before * 100)


# -- the timesheet: lives of packages on one time axis ------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """A time axis of whole years, from 1 January of ``first_year`` to 1 January after ``last_year``."""

    first_year: int
    last_year: int
    today: date

    @property
    def start(self) -> date:
        return date(self.first_year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.last_year + 1, 1, 1)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def x(self, day: date) -> float:
        day = min(max(day, self.start), self.end)
        return (day - self.start).days / (self.end - self.start).days * PLOT_WIDTH

    def year_lines(self, height: int) -> str:
        """A path of one vertical line at the start of every year but the first."""
        return "".join(f"M{self.x(date(year, 1, 1)):.1f} 0V{height}" for year in self.years[1:])


def time_axis(days: list[date], today: date) -> Axis:
    """The whole years covering ``days`` and ``today``."""
    known = [day for day in days if day is not None] + [today]
    return Axis(min(known).year, max(known).year, today)


LIFE_HEIGHT = 24  # viewBox units of one package's row


def life_line(axis: Axis, first_release: date | None, last_release: date | None, last_commit: date | None,
              *, state: str, title: str) -> str:
    """One package's row of the timesheet: its releases' span as a bar, its last commit as a dot, year lines and
    today's line behind them. ``state`` (a CSS class: young, active, quiet, dead) colours it."""
    parts = [f'<path class="life-years" d="{axis.year_lines(LIFE_HEIGHT)}"></path>',
             f'<path class="life-today" d="M{axis.x(axis.today):.1f} 0V{LIFE_HEIGHT}"></path>']
    if first_release and last_release:
        left, right = axis.x(first_release), axis.x(last_release)
        parts.append(f'<path class="life-span" d="M{left:.1f} 7H{max(right, left + 3):.1f}V17H{left:.1f}z"></path>')
        parts.append(f'<path class="life-releases" d="M{left:.1f} 12h0M{right:.1f} 12h0"></path>')
    if last_commit:
        parts.append(f'<path class="life-commit" d="M{axis.x(last_commit):.1f} 12h0"></path>')
    return (f'<svg class="life life-{escape(state)}" viewBox="0 0 {PLOT_WIDTH} {LIFE_HEIGHT}" '
            f'preserveAspectRatio="none" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'{"".join(parts)}</svg>')
