"""Search over packages and grids: an exact name or a pasted repository URL first, then relevance from the search
index (webapp/search/index.py), with popularity and health as tie-breakers that never drown relevance.

A query is read as words (any order; plural and verb forms meet through stemming and prefixes). A word that finds
nothing anywhere is corrected to the nearest word of the index's vocabulary (trigram similarity on PostgreSQL, a
prefix range on SQLite, then a small edit distance), and the page says so. Every word is plain text: quotes,
``%``, ``_`` and the index's operators (AND, OR, NOT, NEAR, ``*``, ``^``, ``:``) are never interpreted. A query
without a single letter or digit (``%``, ``_``) is matched as a literal substring of names instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import permutations

from markupsafe import Markup, escape
from sqlalchemy import Float, Integer, and_, bindparam, case, func, literal, or_, select, text
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.repos import RepoRef, parse_repo_url
from webapp.search.index import GRIDS, PACKAGES, TERMS, name_forms, words
from webapp.signals import package_text_filter_asked
from webapp.sql_like import contains, starts_with

# Why a result ranks where it does, best first; shown next to each result.
REASONS = {
    0: "repository URL matches",
    1: "exact name",
    2: "name matches",
    3: "name contains your search",
    4: "repository or grid matches",
    5: "description mentions your search",
}
MAX_WORDS = 8  # the first words of a long query are enough to rank by, and keep the statement small
SNIPPET_LENGTH = 180


@dataclass(frozen=True)
class Plan:
    """What is searched for: the words (after any spelling correction) and what was corrected."""

    query: str
    words: tuple[str, ...]
    repo: RepoRef | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    # Parts of the query with a "%" or an outer "_": a result must contain them literally ("o%" is not "o").
    literals: tuple[str, ...] = ()
    # Per word: a whole word of the vocabulary, matched as a word (and its stem), not as the start of others:
    # "django" need not gather every "djangoxyz" of a large catalogue.
    whole: tuple[bool, ...] = ()

    @property
    def corrected(self) -> str | None:
        """The query as searched, when a word was corrected."""
        return " ".join(self.words) if self.corrections else None


@dataclass(frozen=True)
class PackageHit:
    package: Package
    rank: int
    plan: Plan | None = None

    @property
    def reason(self) -> str:
        """Why the package is here, in a few words."""
        reason = REASONS[self.rank]
        if self.plan and self.plan.corrections and self.rank > 1:
            fixed = ", ".join(f"{typed} → {meant}" for typed, meant in self.plan.corrections.items())
            reason = f"{reason} (corrected spelling: {fixed})"
        return reason

    @property
    def snippet(self) -> Markup:
        """The description around the first query word, escaped, the query's words marked."""
        return highlight(self.package.repo_description or "", self.plan.words if self.plan else ())


@dataclass(frozen=True)
class SearchResults:
    query: str
    packages: list[PackageHit]
    grids: list[Grid]
    package_total: int
    corrected: str | None = None
    words: tuple[str, ...] = ()

    def snippet(self, description: str) -> Markup:
        """``description`` with the searched words marked (see :func:`highlight`)."""
        return highlight(description or "", self.words)


def _normalised(text_: str) -> str:
    return text_.strip().lower()


def _slug_form(text_: str) -> str:
    return "-".join(_normalised(text_).replace("_", "-").split())


def highlight(description: str, query_words) -> Markup:
    """``description`` cut to the part around the first match, each piece escaped, words starting like a query
    word wrapped in ``<mark>``."""
    if not description:
        return Markup("")
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in query_words) + r")[^\W_]*",
                         re.IGNORECASE) if query_words else None
    first = pattern.search(description) if pattern else None
    start = 0
    if first and first.start() > SNIPPET_LENGTH // 2 and len(description) > SNIPPET_LENGTH:
        start = description.rfind(" ", 0, first.start() - 40) + 1
    text_ = description[start:start + SNIPPET_LENGTH]
    parts, last = [], 0
    for match in (pattern.finditer(text_) if pattern else ()):
        parts.append(escape(text_[last:match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    parts.append(escape(text_[last:]))
    prefix = "… " if start else ""
    suffix = " …" if start + SNIPPET_LENGTH < len(description) else ""
    return Markup(prefix) + Markup("").join(parts) + Markup(suffix)


# -- the plan: words and spelling ----------------------------------------------------------------------------------


def plan(query: str, correct: bool = True) -> Plan:
    """The words of ``query`` to search for, misspelt words corrected (one query; two when one is misspelt)."""
    text_ = _normalised(query)
    repo = parse_repo_url(query) if ("/" in text_ or "." in text_) and " " not in text_ else None
    if repo is not None and repo.kind is not None:
        found = tuple(dict.fromkeys(name_forms(repo.owner) + words(repo.name)))
    else:
        repo = None
        found = tuple(dict.fromkeys(words(text_)))[:MAX_WORDS]
    literals = tuple(part for part in text_.split() if "%" in part or part.startswith("_") or part.endswith("_"))
    if not found:
        return Plan(query=query, words=found, literals=literals)
    known, counts = _known(found)
    whole = tuple(state == WHOLE for state in known)
    # A word found nowhere, or in a document or two when a word one letter away is in many ("Djnago" is in
    # one real description), is corrected.
    missing = {word: count for word, state, count in zip(found, known, counts, strict=True)
               if (state == NOWHERE or (state == WHOLE and count <= RARE)) and len(word) >= 4 and not word.isdigit()}
    corrections = _corrections(missing) if missing and correct and repo is None else {}
    if not corrections:
        return Plan(query=query, words=found, repo=repo, literals=literals, whole=whole)
    corrected = {}
    for word, is_whole in zip(found, whole, strict=True):
        corrected.setdefault(corrections.get(word, word), is_whole or word in corrections)
    return Plan(query=query, words=tuple(corrected), corrections=corrections, literals=literals,
                whole=tuple(corrected.values()))


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _word_match(word: str, whole: bool = False) -> str:
    """One word as an FTS5 query: the word (stemmed), or any word starting with it; quoted, so never an
    operator."""
    return f'"{word}"' if whole else f'"{word}"*'


def _pg_word_query(index: int, weights: str = "", whole: bool = False) -> str:
    flags = ("" if whole else "*") + weights
    suffix = f" || '\\:{flags}'" if flags else ""  # the colon escaped from text()'s bind parameters
    return f"(to_tsquery('simple', :w{index}{suffix}) || to_tsquery('english', :w{index}{suffix}))"


NOWHERE, PREFIX, WHOLE = 0, 1, 2
RARE = 2  # a vocabulary word in this few documents may be a typo of a common one


def _known(found: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """For each word: WHOLE when it is a word of the vocabulary, PREFIX when a package or grid has a word
    starting with it (the tails of names do not count), else NOWHERE; and in how many documents it is a word
    (one query)."""
    params = {f"t{index}": word for index, word in enumerate(found)}
    if _postgresql():
        # The vocabulary's trigram index answers "a word starts with it" at once; an EXISTS over the documents
        # would be planned as a scan of them (a prefix tsquery's selectivity is guessed high).
        # The word or its stem ("profile": "profil") starts a word; words hold no LIKE wildcard.
        somewhere = [f"EXISTS (SELECT 1 FROM {TERMS} WHERE term LIKE :t{index} || '%' OR term LIKE "
                     f"coalesce((ts_lexize('english_stem', :t{index}))[1], :t{index}) || '%')"
                     for index in range(len(found))]
    else:
        params |= {f"w{index}": "{name keywords body} : " + _word_match(word) for index, word in enumerate(found)}
        somewhere = [" OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH :w{index})"
                                 for table in (PACKAGES, GRIDS)) for index in range(len(found))]
    checks = [f"CASE WHEN EXISTS (SELECT 1 FROM {TERMS} WHERE term = :t{index}) THEN {WHOLE} "
              f"WHEN {somewhere[index]} THEN {PREFIX} ELSE {NOWHERE} END, "
              f"(SELECT documents FROM {TERMS} WHERE term = :t{index})" for index in range(len(found))]
    row = db.session.execute(text("SELECT " + ", ".join(checks)), params).one()
    return [row[2 * index] for index in range(len(found))], [row[2 * index + 1] or 0 for index in range(len(found))]


def _corrections(missing: dict[str, int]) -> dict[str, str]:
    """The nearest vocabulary word for each misspelt word that has one: ``missing`` maps each word to the
    documents it is in, and a word in some is corrected only to one in many more (one query)."""
    parts, params = [], {}
    for index, word in enumerate(missing):
        ranges = {word[:2], word[0] + word[2:3]}
        for number, prefix in enumerate(sorted(ranges)):
            params[f"p{index}_{number}"], params[f"q{index}_{number}"] = prefix, prefix + "\uffff"
            # PostgreSQL's collation may not sort "\uffff" last: LIKE, on a text_pattern_ops index
            starts = (f"term LIKE :p{index}_{number} || '%'" if _postgresql()
                      else f"term >= :p{index}_{number} AND term < :q{index}_{number}")
            parts.append(f"SELECT {index} AS word, term, documents FROM {TERMS} WHERE {starts} "
                         f"AND length(term) BETWEEN {len(word) - 2} AND {len(word) + 2}")
        if _postgresql():
            params[f"t{index}"] = word
            parts.append(f"SELECT {index} AS word, term, documents FROM {TERMS} WHERE term % :t{index}")
    candidates: dict[int, list[tuple[str, int]]] = {}
    for index, term, documents in db.session.execute(text(" UNION ".join(parts)), params):
        candidates.setdefault(index, []).append((term, documents))
    corrections = {}
    for index, word in enumerate(missing):
        limit = 1 if len(word) <= 4 else 2
        best = None
        for term, documents in candidates.get(index, []):
            distance = edit_distance(word, term, limit)
            if missing[word] and (term == word or documents < 20 * missing[word]):
                continue
            if distance <= limit and (best is None or (distance, -documents) < best[0]):
                best = ((distance, -documents), term)
        if best is not None:
            corrections[word] = best[1]
    return corrections


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours costs one), or ``limit + 1`` once past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# -- ranking -------------------------------------------------------------------------------------------------------


# How many of the most relevant documents are ranked further (by words matched, name, popularity): the full
# ordering is computed over these only, so a word in every document costs a top-N, not a sort of the table.
CANDIDATES = 300


def _matches(table: str, current: Plan):
    """The most relevant documents of ``table`` with any of the words: id, relevance (lower is better), how many
    words match, whether the name has them all, and how many documents match in all (removed packages have
    none: webapp/search/index.py)."""
    found = current.words
    whole = current.whole or (False,) * len(found)
    # Exact names join the candidates whatever their relevance: a word in every document ranks nothing.
    names = [_normalised(current.query), _slug_form(current.query),
             *("-".join(order) for order in permutations(found) if len(found) <= 4)]
    # (by slug, which is indexed: a title written otherwise still ranks first if it is among the candidates)
    exact = ("SELECT id FROM packages WHERE slug IN :names" if table == PACKAGES
             else "SELECT id FROM grids WHERE lower(title) = :exact0")
    if _postgresql():
        params = {f"w{index}": word for index, word in enumerate(found)}
        each = [_pg_word_query(index, whole=whole[index]) for index in range(len(found))]
        any_word = " || ".join(each)
        coverage = " + ".join(f"(document @@ {query})::int" for query in each)
        named = " && ".join(_pg_word_query(index, "A", whole[index]) for index in range(len(found)))
        statement = text(
            f"WITH candidates AS MATERIALIZED (SELECT DISTINCT ON (id) * FROM (SELECT * FROM (SELECT id, document, "
            f"ts_rank_cd(document, {any_word}, 1) AS score FROM {table} WHERE document @@ ({any_word}) "
            f"ORDER BY score DESC LIMIT {CANDIDATES}) AS top UNION ALL SELECT id, document, 1.0 FROM {table} "
            f"WHERE id IN ({exact}) AND document @@ ({any_word})) AS found ORDER BY id, score DESC) "
            f"SELECT id, -score AS relevance, {coverage} AS coverage, (document @@ ({named}))::int AS named, "
            f"(SELECT count(*) FROM {table} WHERE document @@ ({any_word})) AS total "
            f"FROM candidates")
    else:
        each = [_word_match(word, whole[index]) for index, word in enumerate(found)]
        params = {f"w{index}": query for index, query in enumerate(each)}
        params["any"] = " OR ".join(each)
        params["named"] = "{name} : (" + " AND ".join(each) + ")"
        coverage = " + ".join(f"(id IN (SELECT rowid FROM {table} WHERE {table} MATCH :w{index}))"
                              for index in range(len(found)))
        statement = text(
            f"WITH candidates AS MATERIALIZED (SELECT id, min(score) AS score FROM (SELECT * FROM (SELECT rowid AS "
            f"id, rank AS score FROM {table} WHERE {table} MATCH :any AND rank MATCH 'bm25(10.0, 4.0, 1.0, 2.0)' "
            f"ORDER BY rank LIMIT {CANDIDATES}) UNION ALL SELECT rowid, -1000.0 FROM {table} WHERE rowid IN "
            f"({exact}) AND {table} MATCH :any) GROUP BY id) "
            f"SELECT id, score AS relevance, {coverage} AS coverage, "
            f"(id IN (SELECT rowid FROM {table} WHERE {table} MATCH :named)) AS named, "
            f"(SELECT count(*) FROM {table} WHERE {table} MATCH :any) AS total "
            f"FROM candidates")
    if table == PACKAGES:
        statement = statement.bindparams(bindparam("names", names[1:], expanding=True), **params)
    else:
        statement = statement.bindparams(**params, exact0=names[0])
    return statement.columns(id=Integer, relevance=Float, coverage=Integer, named=Integer, total=Integer).subquery()


def _boost(*terms):
    """A factor of 1 to 1.2 from popularity and health: it reorders packages of near-equal relevance only."""
    return literal(1.0) + sum(terms)


def search_packages(query: str | Plan, limit: int = 50) -> tuple[list[PackageHit], int]:
    """Ranked package matches and how many there are: one query (after :func:`plan`'s)."""
    current = query if isinstance(query, Plan) else plan(query)
    if not current.words:
        return _substring_packages(current.query, limit)
    text_ = _normalised(current.query)
    matches = _matches(PACKAGES, current)
    repo_match = (func.lower(Package.repo_url) == current.repo.url.lower()) if current.repo else literal(False)
    exact = or_(func.lower(Package.title) == text_, Package.slug == _slug_form(current.query))
    if len(current.words) <= 4:  # the words of a name in any order, or corrected: "allauth django", "django*"
        exact = or_(exact, Package.slug.in_(["-".join(order) for order in permutations(current.words)]))
    bucket = case((repo_match, 0), (exact, 1), else_=2).label("bucket")
    healthy = and_(Package.date_repo_archived.is_(None), Package.deprecation_status.is_(None))
    boost = _boost(0.1 * Package.repo_watchers / (Package.repo_watchers + 1000.0),
                   0.05 * Package.usage_count / (Package.usage_count + 10.0),
                   case((healthy, 0.05), else_=0.0))
    rows = db.session.execute(
        select(Package, bucket, matches.c.coverage, matches.c.total)
        .join(matches, matches.c.id == Package.id).where(Package.removed_at.is_(None), *[
            or_(contains(func.lower(Package.title), part), contains(Package.slug, part),
                contains(func.lower(Package.repo_description), part)) for part in current.literals])
        .options(joinedload(Package.category), joinedload(Package.current_release),
                 joinedload(Package.deprecated_by))
        # A name with all the words first, the shortest such name first: "allauth" means django-allauth more
        # than django-allauth-ui; then relevance, nudged by popularity and health.
        .order_by(bucket, matches.c.coverage.desc(), matches.c.named.desc(),
                  case((matches.c.named == 1, func.length(Package.slug)), else_=0),
                  matches.c.relevance * boost, Package.title).limit(limit)
    ).all()
    total = rows[0].total if rows else 0
    return [PackageHit(package=row[0], rank=_reason(row[0], row.bucket, current), plan=current) for row in rows], total


def _reason(package: Package, bucket: int, current: Plan) -> int:
    if bucket < 2:
        return bucket
    names = set(name_forms(package.title)) | set(name_forms(package.slug))
    if all(any(_alike(name, word) for name in names) for word in current.words):
        return 2
    compact = "".join(words(package.title)) + " " + "".join(words(package.slug))
    if all(word in compact for word in current.words):
        return 3
    description = words(package.repo_description)
    if any(_alike(word, query_word) for word in description for query_word in current.words):
        return 5
    return 4


def _alike(word: str, query_word: str) -> bool:
    """``word`` starts with ``query_word``, or shares its stem (a crude one: all but its last four letters)."""
    if word.startswith(query_word):
        return True
    stem = max(4, len(query_word) - 4)
    return len(query_word) > stem and word[:stem] == query_word[:stem]


def search_grids(query: str | Plan, limit: int = 20) -> list[Grid]:
    """Grids ranked like packages (title, description, feature titles): one query."""
    current = query if isinstance(query, Plan) else plan(query)
    if not current.words:
        return _substring_grids(current.query, limit)
    matches = _matches(GRIDS, current)
    exact = func.lower(Grid.title) == _normalised(current.query)
    boost = _boost(0.1 * Grid.package_count / (Grid.package_count + 20.0))
    return list(db.session.scalars(
        select(Grid).join(matches, matches.c.id == Grid.id).where(*[
            or_(contains(func.lower(Grid.title), part), contains(func.lower(Grid.description), part))
            for part in current.literals])
        .order_by(case((exact, 0), else_=1), matches.c.coverage.desc(), matches.c.named.desc(),
                  matches.c.relevance * boost, Grid.title)
        .limit(limit)))


def search(query: str, package_limit: int = 50, grid_limit: int = 20, correct: bool = True) -> SearchResults:
    """Packages and grids for ``query``: three queries (four when a word is corrected)."""
    if not query.strip():
        return SearchResults(query=query, packages=[], grids=[], package_total=0)
    current = plan(query, correct=correct)
    packages, total = search_packages(current, package_limit)
    return SearchResults(query=query, packages=packages, grids=search_grids(current, grid_limit),
                         package_total=total, corrected=current.corrected, words=current.words)


# -- literal substrings: queries without a letter or digit -----------------------------------------------------------


def _substring_packages(query: str, limit: int) -> tuple[list[PackageHit], int]:
    text_ = _normalised(query)
    if not text_:
        return [], 0
    slug = text_  # literal: "_" is not the "-" of a slug here, or "_" would find every slug with a hyphen
    name_exact = or_(func.lower(Package.title) == text_, Package.slug == slug)
    name_prefix = or_(starts_with(func.lower(Package.title), text_), starts_with(Package.slug, slug))
    name_contains = or_(contains(func.lower(Package.title), text_), contains(Package.slug, slug))
    rank = case((name_exact, 1), (name_prefix, 2), (name_contains, 3), else_=5).label("rank")
    condition = or_(name_contains, contains(func.lower(Package.repo_description), text_))
    rows = db.session.execute(
        select(Package, rank, func.count().over().label("total")).where(Package.removed_at.is_(None), condition)
        .options(joinedload(Package.category), joinedload(Package.current_release),
                 joinedload(Package.deprecated_by))
        .order_by(rank, Package.score.desc(), Package.repo_watchers.desc(), Package.title).limit(limit)).all()
    return [PackageHit(package=row[0], rank=row[1]) for row in rows], (rows[0].total if rows else 0)


def _substring_grids(query: str, limit: int) -> list[Grid]:
    text_ = _normalised(query)
    if not text_:
        return []
    title_contains = contains(func.lower(Grid.title), text_)
    rank = case((func.lower(Grid.title) == text_, 0), (title_contains, 1), else_=2)
    return list(db.session.scalars(
        select(Grid).where(or_(title_contains, contains(func.lower(Grid.description), text_)))
        .order_by(rank, Grid.package_count.desc(), Grid.title).limit(limit)))


def package_filter(query: str):
    """SQL condition: the package has every word of ``query`` (as typed, or as the start of a word) in the search
    index, and any literal part ("100%"); a query without a word matches names and descriptions literally. For
    the package lists' filter (no extra query: spelling is the search page's)."""
    current = Plan(query=query, words=tuple(dict.fromkeys(words(query)))[:MAX_WORDS],
                   literals=tuple(part for part in _normalised(query).split()
                                  if "%" in part or part.startswith("_") or part.endswith("_")))
    text_ = _normalised(query)
    if not current.words:
        return or_(contains(func.lower(Package.title), text_), contains(Package.slug, text_),
                   contains(func.lower(Package.repo_description), text_))
    if _postgresql():
        params = {f"w{index}": word for index, word in enumerate(current.words)}
        every = " && ".join(_pg_word_query(index) for index in range(len(current.words)))
        statement = text(f"SELECT id FROM {PACKAGES} WHERE document @@ ({every})").bindparams(**params)
    else:
        every = " AND ".join(_word_match(word) for word in current.words)
        statement = text(f"SELECT rowid FROM {PACKAGES} WHERE {PACKAGES} MATCH :every").bindparams(every=every)
    return and_(Package.id.in_(statement.columns(id=Integer)), *[
        or_(contains(func.lower(Package.title), part), contains(Package.slug, part),
            contains(func.lower(Package.repo_description), part)) for part in current.literals])


def _on_package_text_filter_asked(_sender, *, query: str):
    return package_filter(query)


def connect_signals() -> None:
    """Answer the package lists' text filter (webapp/signals.py)."""
    package_text_filter_asked.connect(_on_package_text_filter_asked)
