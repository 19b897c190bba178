"""Read models of the open statistics page and the grid timesheet: aggregate queries, a fixed number per page.

Weekly series are grouped in SQL by :class:`week_index`, written for SQLite (``julianday``) and PostgreSQL
(``EXTRACT(EPOCH ...)``), so a year of activity costs one grouped query whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, and_, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from webapp import charts, counters
from webapp.accounts.models import User
from webapp.catalog.models import Package, Version
from webapp.extensions import db
from webapp.fetch.models import FetchDay, FetchQuota
from webapp.grids.models import Grid, GridPackage
from webapp.history.models import Change

WEEKS = 52  # the span of the open statistics' charts
ACTIVE_DAYS = 90  # the span of the most active grids and editors
TOP = 8  # how many of them
RECENT_WEEKS = 4  # the trend compares the last four weeks with the four before


class week_index(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """Whole weeks from ``start`` (text 'YYYY-MM-DD HH:MM:SS', UTC) to a date or timestamp column."""

    type = Integer()
    name = "week_index"
    inherit_cache = True


@compiles(week_index, "sqlite")
def _week_index_sqlite(element, compiler, **kw):
    column, start = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST((julianday({column}) - julianday({start})) / 7 AS INTEGER)"


@compiles(week_index, "postgresql")
def _week_index_postgresql(element, compiler, **kw):
    column, start = (compiler.process(clause, **kw) for clause in element.clauses)
    return (f"CAST(FLOOR(EXTRACT(EPOCH FROM (CAST({column} AS TIMESTAMP) - CAST({start} AS TIMESTAMP))) / 604800)"
            " AS INTEGER)")


def weeks_start(today: date, weeks: int = WEEKS) -> datetime:
    """Midnight UTC of the Monday ``weeks - 1`` weeks before this week's: the first of ``weeks`` whole weeks."""
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    return datetime.combine(monday, time(), timezone.utc)


@dataclass
class Series:
    """One weekly series of the open statistics page."""

    key: str
    name: str
    total: int
    counts: list[int]
    chart: str = ""
    recent: int = 0
    before: int = 0
    change: float | None = None


@dataclass
class OpenStats:
    start: date
    series: list[Series]
    active_grids: list[tuple[Grid, int]]
    active_editors: list[tuple[User, int]]
    fetched_recently: int
    failed_recently: int
    quotas: list[FetchQuota]
    oldest_fetch: datetime | None
    never_fetched: int
    fetch_errors: int
    demo_packages: int
    today: date = field(default_factory=lambda: datetime.now(timezone.utc).date())

    @property
    def success_rate(self) -> float | None:
        """The share of the last four weeks' fetches that succeeded, in percent (None without fetches)."""
        if not self.fetched_recently:
            return None
        return (self.fetched_recently - self.failed_recently) / self.fetched_recently * 100


SERIES = [("packages", "Packages added"), ("grids", "Grids created"), ("people", "People joined"),
          ("edits", "Edits"), ("fetches", "Package fetches"), ("failed", "Failed fetches")]


def _weekly(start: datetime):
    """Every weekly series in one statement: (series, week, count) rows."""
    since = literal(start.strftime("%Y-%m-%d %H:%M:%S"))

    def grouped(key: str, column, amount, *where):
        week = week_index(column, since)
        return select(literal(key).label("series"), week.label("week"), amount.label("amount")).where(
            column >= (start.date() if key in ("fetches", "failed") else start), *where).group_by(week)

    return union_all(
        grouped("packages", Package.created, func.count(), Package.removed_at.is_(None)),
        grouped("grids", Grid.created, func.count()),
        grouped("people", User.created, func.count()),
        grouped("edits", Change.created, func.count()),
        grouped("fetches", FetchDay.day, func.sum(FetchDay.fetched)),
        grouped("failed", FetchDay.day, func.sum(FetchDay.failed)),
    )


def open_stats(today: date | None = None) -> OpenStats:
    """Everything the open statistics page shows: six queries."""
    today = today or datetime.now(timezone.utc).date()
    start = weeks_start(today)
    totals = counters.read("packages", "grids", "users", "demo_packages")
    counts: dict[str, list[int]] = {key: [0] * WEEKS for key, _name in SERIES}
    for key, week, amount in db.session.execute(_weekly(start)):
        if 0 <= week < WEEKS:
            counts[key][week] += int(amount or 0)
    active_since = datetime.combine(today - timedelta(days=ACTIVE_DAYS), time(), timezone.utc)
    edits = func.count(Change.id).label("edits")
    active_grids = [(grid, number) for grid, number in db.session.execute(
        select(Grid, edits).join(Change, Change.grid_id == Grid.id).where(Change.created >= active_since)
        .group_by(Grid.id).order_by(edits.desc(), Grid.title).limit(TOP))]
    active_editors = [(user, number) for user, number in db.session.execute(
        select(User, edits).join(Change, Change.user_id == User.id).where(Change.created >= active_since)
        .group_by(User.id).order_by(edits.desc(), User.username).limit(TOP))]
    fetchable = and_(Package.removed_at.is_(None), or_(Package.repo_url != "", Package.pypi_url != ""))
    health = db.session.execute(select(
        select(func.count()).select_from(Change).scalar_subquery(),
        select(func.min(Package.last_fetched)).where(fetchable).scalar_subquery(),
        select(func.count()).where(fetchable, Package.last_fetched.is_(None)).scalar_subquery(),
        select(func.count()).where(fetchable, Package.fetch_error != "").scalar_subquery(),
    )).one()
    quotas = list(db.session.scalars(select(FetchQuota).order_by(FetchQuota.host)))
    week_start = start.date()
    series = []
    for key, name in SERIES:
        total = {"packages": totals["packages"], "grids": totals["grids"], "people": totals["users"],
                 "edits": health[0]}.get(key, sum(counts[key]))
        item = Series(key, name, total, counts[key])
        item.recent, item.before, item.change = charts.trend(counts[key], RECENT_WEEKS)
        item.chart = charts.bar_chart(counts[key], week_start, name=name, today=today,
                                      tone="bad" if key == "failed" else "")
        series.append(item)
    return OpenStats(
        start=week_start, series=series, active_grids=active_grids, active_editors=active_editors,
        fetched_recently=sum(counts["fetches"][-RECENT_WEEKS:]), failed_recently=sum(counts["failed"][-RECENT_WEEKS:]),
        quotas=quotas, oldest_fetch=_aware(health[1]), never_fetched=health[2], fetch_errors=health[3],
        demo_packages=totals["demo_packages"], today=today,
    )


def _aware(value):
    """A timestamp read through a scalar subquery (not the column's type) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


# -- the grid timesheet --------------------------------------------------------------------------------------------


@dataclass
class Life:
    """One package's life in a grid: its releases' span and its last commit."""

    package: Package
    first_release: date | None
    last_release: date | None
    releases: int
    last_commit: date | None
    state: str = "active"
    drawing: str = ""

    @property
    def last_sign(self) -> date | None:
        known = [day for day in (self.last_release, self.last_commit) if day]
        return max(known) if known else None


STATE_LABELS = {"young": "Young: first release within a year", "active": "Active: a release or commit within a year",
                "quiet": "Quiet: nothing for one to two years", "dead": "Dead: nothing for two years or more",
                "unknown": "Unknown: no release or commit known"}


def _state(life: Life, today: date) -> str:
    last = life.last_sign
    if last is None:
        return "unknown"
    if life.first_release and (today - life.first_release).days < 365:
        return "young"
    idle = (today - last).days
    return "active" if idle < 365 else "quiet" if idle < 730 else "dead"


@dataclass
class Timesheet:
    grid: Grid
    lives: list[Life]
    axis: charts.Axis
    axis_drawing: str
    states: dict[str, int]


def _day(value) -> date | None:
    value = _aware(value)
    return value.date() if isinstance(value, datetime) else value


def timesheet(slug: str, today: date | None = None) -> Timesheet | None:
    """A grid's packages with the span of their releases and their last commit, on one axis: two queries."""
    today = today or datetime.now(timezone.utc).date()
    grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
    if grid is None:
        return None
    shown = and_(Version.package_id == Package.id, Version.hidden.is_(False), Version.upload_time.is_not(None))
    rows = db.session.execute(
        select(Package, func.min(Version.upload_time), func.max(Version.upload_time), func.count(Version.id))
        .join(GridPackage, GridPackage.package_id == Package.id)
        .outerjoin(Version, shown)
        .where(GridPackage.grid_id == grid.id, Package.removed_at.is_(None))
        .group_by(Package.id)
    ).all()
    lives = [Life(package, _day(first), _day(last), count, _day(package.last_commit_date))
             for package, first, last, count in rows]
    axis = charts.time_axis([day for life in lives for day in (life.first_release, life.last_commit)], today)
    states: dict[str, int] = {key: 0 for key in STATE_LABELS}
    for life in lives:
        life.state = _state(life, today)
        states[life.state] += 1
        title = (f"{life.package.title}: " + (f"{life.releases} release{'s' if life.releases != 1 else ''} from "
                 f"{charts.day_label(life.first_release)} to {charts.day_label(life.last_release)}"
                 if life.first_release else "no release known")
                 + (f"; last commit {charts.day_label(life.last_commit)}" if life.last_commit else ""))
        life.drawing = charts.life_line(axis, life.first_release, life.last_release, life.last_commit,
                                        state=life.state, title=title)
    # The oldest first, so the grid reads from its veterans down to its newcomers.
    lives.sort(key=lambda life: (life.first_release or date.max, life.package.title.lower()))
    axis_drawing = (f'<svg class="life life-axis" viewBox="0 0 {charts.PLOT_WIDTH} {charts.LIFE_HEIGHT}" '
                    f'preserveAspectRatio="none" aria-hidden="true"><path class="life-years" '
                    f'd="{axis.year_lines(charts.LIFE_HEIGHT)}"></path></svg>')
    return Timesheet(grid=grid, lives=lives, axis=axis, axis_drawing=axis_drawing, states=states)
