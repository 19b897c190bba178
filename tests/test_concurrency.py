"""Simultaneous writes, with real parallel requests: two people saving the same thing at the same moment.

The app runs in gunicorn with two worker processes (tests/live_server.py) on the tests' database, SQLite or
PostgreSQL. Each round releases two requests together from a barrier. Of two saves made from the same revision
exactly one wins and the other gets the 409 page with both versions; of two staff deciding one flag exactly one
decision is taken and recorded; duplicates (a package twice in a grid, two "I use this", a taken slug) answer
a clean 4xx, never a 500, and are never stored twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

import webapp.models  # noqa: F401  (every model mapped, so versioned_models() sees them all)
from tests.editing_support import a_package
from tests.factories import make_category, make_grid, make_package, make_user
from tests.helpers import PASSWORD, password_hash
from tests.live_server import Browser, simultaneously
from webapp.catalog.models import Flag, Package, Usage
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.history.models import Change
from webapp.history.services import versioned_models

ROUNDS = 5


@pytest.fixture
def staff_pair(people):
    """Two staff accounts (``people.staff`` and another)."""
    return people.staff, make_user("sam", password_hash=password_hash(), is_staff=True)


def signed_in(server, user) -> Browser:
    return Browser(server).sign_in(user.username, PASSWORD)


def count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def changes(**where) -> int:
    """How many history entries match ``where`` (column=value)."""
    return count(select(Change).filter_by(**where))


def statuses(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


# -- saves of versioned objects -----------------------------------------------------------------------------------


@dataclass
class EditRace:
    """How to save one versioned object from its edit form: path, form data, and the status of a saved form."""

    obj: object
    path: str
    form: Callable[[int, str], dict]  # (revision loaded, text to save) -> form data
    field: str  # the field the form changes, as the history records it
    saved: int

    def revision(self) -> int:
        model = type(self.obj)
        return db.session.scalar(select(model.revision).where(model.id == self.obj.id))

    def recorded(self) -> int:
        object_type = {"Package": "package", "Grid": "grid", "Feature": "feature", "Element": "element"}
        return changes(object_type=object_type[type(self.obj).__name__], object_id=self.obj.id, action="update",
                       field=self.field)


def _package_race() -> EditRace:
    package = a_package()
    fields = {"slug": package.slug, "category": package.category_id, "repo_url": package.repo_url,
              "pypi_url": "", "documentation_url": "", "package_id": package.id}
    return EditRace(package, f"/packages/{package.slug}/edit/",
                    lambda revision, text: {**fields, "title": text, "revision": revision}, "title", 302)


def _grid() -> Grid:
    return make_grid("Race", packages=[a_package()], features=1)


def _grid_race() -> EditRace:
    grid = _grid()
    return EditRace(grid, "/grids/g/race/edit/",
                    lambda revision, text: {"title": text, "description": "", "revision": revision}, "title", 302)


def _feature_race() -> EditRace:
    _grid()
    feature = db.session.scalar(select(Feature))
    return EditRace(feature, f"/grids/g/race/features/{feature.id}/edit/",
                    lambda revision, text: {"title": text, "description": "", "revision": revision}, "title", 302)


def _cell_race() -> EditRace:
    _grid()
    element = db.session.scalar(select(Element))
    return EditRace(element, f"/grids/g/race/cells/{element.grid_package_id}/{element.feature_id}/",
                    lambda revision, text: {"text": text, "revision": revision}, "text", 303)


# Every model with a revision column needs a race here: test_every_versioned_model_is_raced checks it.
EDIT_RACES = {"Package": _package_race, "Grid": _grid_race, "Feature": _feature_race, "Element": _cell_race}


def test_every_versioned_model_is_raced():
    assert {model.__name__ for model in versioned_models()} == set(EDIT_RACES)


@pytest.mark.parametrize("model", versioned_models(), ids=lambda model: model.__name__)
def test_two_saves_of_the_same_revision_one_wins_the_other_gets_409(gunicorn_server, people, model):
    race = EDIT_RACES[model.__name__]()
    alice, bob = signed_in(gunicorn_server, people.creator), signed_in(gunicorn_server, people.other)
    for round_ in range(ROUNDS):
        revision, recorded = race.revision(), race.recorded()
        texts = {alice: f"Alice version {round_}", bob: f"Bob version {round_}"}
        posts = [lambda person=person: person.post(race.path, race.form(revision, texts[person])) for person in texts]
        responses = dict(zip(texts, simultaneously(*posts), strict=True))
        assert statuses(responses.values()) == sorted([race.saved, 409]), (
            round_, [(r.status_code, r.text[:500]) for r in responses.values()])
        [loser] = [person for person, response in responses.items() if response.status_code == 409]
        [winner] = [person for person in texts if person is not loser]
        page = responses[loser].text
        assert texts[winner] in page and texts[loser] in page  # both versions, to merge
        assert race.recorded() == recorded + 1
        assert race.revision() == revision + 1


# -- flags ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("decisions", [("approve", "approve"), ("dismiss", "dismiss"), ("approve", "dismiss")])
def test_two_staff_deciding_one_flag_at_once_take_one_decision(gunicorn_server, people, staff_pair, decisions):
    staff = [signed_in(gunicorn_server, user) for user in staff_pair]
    category = make_category()
    for round_ in range(ROUNDS):
        package = make_package(f"flagged-{round_}", category=category)
        flag = Flag(user_id=people.other.id, package_id=package.id, reason="spam", status="open")
        db.session.add(flag)
        db.session.commit()
        flag_id, package_id = flag.id, package.id  # the threads must not touch the test's database session
        responses = simultaneously(*(
            lambda browser=browser, decision=decision: browser.post(f"/moderation/flags/{flag_id}/{decision}/")
            for browser, decision in zip(staff, decisions, strict=True)))
        assert statuses(responses) == [302, 302]
        pages = [browser.get("/moderation/").text for browser in staff]
        assert sum("was already" in page for page in pages) == 1, round_
        removals = changes(package_id=package_id, field="removed_at")
        dismissals = changes(package_id=package_id, action="dismiss")
        assert removals + dismissals == 1, (round_, removals, dismissals)
        status = db.session.scalar(select(Flag.status).where(Flag.id == flag_id))
        assert status == ("approved" if removals else "dismissed")
        removed = db.session.scalar(select(Package.removed_at).where(Package.id == package_id))
        assert (removed is not None) == bool(removals)


# -- duplicates answer 4xx, not 500 -----------------------------------------------------------------------------


def test_two_people_adding_one_package_to_a_grid_add_it_once(gunicorn_server, people):
    grid_id = make_grid("Race").id
    alice, bob = signed_in(gunicorn_server, people.creator), signed_in(gunicorn_server, people.other)
    category = make_category()
    for round_ in range(ROUNDS):
        package_id = make_package(f"wanted-{round_}", category=category).id
        responses = simultaneously(*(
            lambda browser=browser: browser.post("/grids/g/race/packages/add/", {"package_id": package_id}, htmx=True)
            for browser in (alice, bob)))
        assert statuses(responses) == [200, 422], [(r.status_code, r.text[:300]) for r in responses]
        assert count(select(GridPackage).where(GridPackage.package_id == package_id)) == 1
        assert changes(object_type="grid_package", action="create", package_id=package_id) == 1
        assert db.session.scalar(select(Grid.package_count).where(Grid.id == grid_id)) == round_ + 1


def test_packages_added_to_a_grid_at_once_are_all_counted(gunicorn_server, people):
    grid_id = make_grid("Race").id
    alice, bob = signed_in(gunicorn_server, people.creator), signed_in(gunicorn_server, people.other)
    category = make_category()
    for round_ in range(ROUNDS):
        package_ids = [make_package(f"{name}-{round_}", category=category).id for name in ("left", "right")]
        responses = simultaneously(*(
            lambda browser=browser, package_id=package_id: browser.post("/grids/g/race/packages/add/",
                                                                        {"package_id": package_id}, htmx=True)
            for browser, package_id in zip((alice, bob), package_ids, strict=True)))
        assert statuses(responses) == [200, 200]
        assert db.session.scalar(select(Grid.package_count).where(Grid.id == grid_id)) == 2 * (round_ + 1)


def test_simultaneous_i_use_this_counts_once_per_person(gunicorn_server, people):
    category = make_category()
    same_person = [signed_in(gunicorn_server, people.creator) for _ in range(2)]  # two tabs, one person
    two_people = [same_person[0], signed_in(gunicorn_server, people.other)]
    for round_ in range(ROUNDS):
        for browsers, expected in ((same_person, 1), (two_people, 2)):
            package = make_package(f"used-{round_}-{expected}", category=category)
            package_id, path = package.id, f"/packages/p/{package.slug}/usage/"
            responses = simultaneously(*(lambda browser=browser: browser.post(path, {"use": "1"}, htmx=True)
                                         for browser in browsers))
            assert statuses(responses) == [200, 200]
            assert count(select(Usage).where(Usage.package_id == package_id)) == expected
            assert db.session.scalar(select(Package.usage_count).where(Package.id == package_id)) == expected


def test_two_people_taking_one_slug_at_once_get_422_not_500(gunicorn_server, people):
    alice, bob = signed_in(gunicorn_server, people.creator), signed_in(gunicorn_server, people.other)
    category = make_category()
    category_id = category.id
    own = {alice: make_package("alices", category=category).id, bob: make_package("bobs", category=category).id}
    for round_ in range(ROUNDS):
        slug = f"taken-{round_}"
        # New grids at one address.
        responses = simultaneously(*(
            lambda browser=browser: browser.post("/grids/add/", {"title": f"Grid {round_}", "slug": slug,
                                                                 "description": ""})
            for browser in (alice, bob)))
        assert statuses(responses) == [302, 422], [(r.status_code, r.text[:300]) for r in responses]
        # New packages with one slug.
        responses = simultaneously(*(
            lambda browser=browser, name=name: browser.post("/packages/add/", {
                "title": slug, "slug": slug, "category": category_id, "repo_url": f"https://github.com/{name}/{slug}",
                "pypi_url": "", "documentation_url": "", "grid": ""})
            for browser, name in ((alice, "alice"), (bob, "bob"))))
        assert statuses(responses) == [302, 422], [(r.status_code, r.text[:300]) for r in responses]
        # Two packages renamed to one slug.
        renamed = f"renamed-{round_}"
        edits = {}
        for browser, package_id in own.items():
            package = db.session.get(Package, package_id)
            edits[browser] = (f"/packages/{package.slug}/edit/", {
                "title": package.title, "slug": renamed, "category": category_id, "repo_url": package.repo_url,
                "pypi_url": "", "documentation_url": "", "revision": package.revision, "package_id": package_id})
        responses = simultaneously(*(lambda browser=browser: browser.post(*edits[browser]) for browser in (alice, bob)))
        assert statuses(responses) == [302, 422], [(r.status_code, r.text[:300]) for r in responses]
        assert count(select(Grid).where(Grid.slug == slug)) == 1
        assert count(select(Package).where(Package.slug.in_([slug, renamed]))) == 2
        db.session.expire_all()


# -- staff actions ----------------------------------------------------------------------------------------------


def test_two_staff_reverting_one_change_revert_it_once(gunicorn_server, people, staff_pair):
    from webapp.history import services as history

    staff = [signed_in(gunicorn_server, user) for user in staff_pair]
    package_id = a_package().id
    for round_ in range(ROUNDS):
        [change] = history.apply_changes(db.session.get(Package, package_id), people.other,
                                         {"title": f"Renamed {round_}"})
        db.session.commit()
        change_id = change.id
        responses = simultaneously(*(lambda browser=browser: browser.post(f"/history/{change_id}/revert/")
                                     for browser in staff))
        assert statuses(responses) == [302, 302]
        assert changes(reverts_id=change_id) == 1
        db.session.expire_all()


def _delete_feature(index: int) -> str:
    make_grid(f"Doomed {index}", packages=[a_package(title=f"doomed-{index}")], features=1)
    feature = db.session.scalar(select(Feature).join(Grid).where(Grid.slug == f"doomed-{index}"))
    return f"/grids/g/doomed-{index}/features/{feature.id}/delete/"


def _delete_grid(index: int) -> str:
    make_grid(f"Doomed {index}", packages=[a_package(title=f"doomed-{index}")], features=1)
    return f"/grids/g/doomed-{index}/delete/"


def _remove_from_grid(index: int) -> str:
    make_grid(f"Doomed {index}", packages=[a_package(title=f"doomed-{index}")], features=1)
    member = db.session.scalar(select(GridPackage).join(Grid).where(Grid.slug == f"doomed-{index}"))
    return f"/grids/g/doomed-{index}/packages/{member.id}/remove/"


def _delete_package(index: int) -> str:
    a_package(title=f"doomed-{index}")
    return f"/packages/doomed-{index}/delete/"


@pytest.mark.parametrize("make", [_delete_feature, _delete_grid, _remove_from_grid, _delete_package],
                         ids=lambda make: make.__name__.strip("_"))
def test_two_staff_deleting_one_thing_at_once_delete_it_once(gunicorn_server, staff_pair, make):
    staff = [signed_in(gunicorn_server, user) for user in staff_pair]
    for round_ in range(ROUNDS):
        path = make(round_)
        before = changes(action="delete")
        responses = simultaneously(*(lambda browser=browser: browser.post(path) for browser in staff))
        codes = statuses(responses)
        # The loser is told it was already done: a 409, or the 404 of a page that is gone before it is read.
        assert codes[0] in (302, 303) and codes[1] in (404, 409), [(r.status_code, r.text[:300]) for r in responses]
        # One entry for the object; a feature or a column also keeps its one cell's text.
        assert changes(action="delete") - before == (2 if make in (_delete_feature, _remove_from_grid) else 1)


def test_two_staff_locking_a_grid_at_once_record_it_once(gunicorn_server, staff_pair):
    staff = [signed_in(gunicorn_server, user) for user in staff_pair]
    grid_id = make_grid("Race").id
    for round_ in range(ROUNDS):
        locked = "1" if round_ % 2 == 0 else "0"
        before = changes(object_type="grid", object_id=grid_id, field="is_locked")
        responses = simultaneously(*(lambda browser=browser: browser.post("/grids/g/race/lock/", {"locked": locked})
                                     for browser in staff))
        # The second is refused (409), or, when it read the grid after the first saved, has nothing to change.
        assert statuses(responses) in ([302, 302], [302, 409]), [(r.status_code, r.text[:300]) for r in responses]
        assert changes(object_type="grid", object_id=grid_id, field="is_locked") == before + 1


# -- the conditional update itself, in one process ------------------------------------------------------------


def _stale_objects() -> dict[str, tuple[object, str]]:
    """One object of every versioned model and a text field of it to change."""
    grid = _grid()
    return {"Package": (db.session.scalar(select(Package)), "title"), "Grid": (grid, "title"),
            "Feature": (db.session.scalar(select(Feature)), "title"),
            "Element": (db.session.scalar(select(Element)), "text")}


@pytest.mark.parametrize("model", versioned_models(), ids=lambda model: model.__name__)
def test_a_save_from_a_revision_someone_just_moved_writes_nothing(people, model):
    """This session read revision r; another connection committed r + 1 after it: the save must not pass.

    The session's own copy still says r, so only the database's ``WHERE revision = r`` can refuse it.
    """
    from sqlalchemy.orm import Session

    from webapp.history import services as history

    obj, field = _stale_objects()[model.__name__]
    revision, before = obj.revision, getattr(obj, field)
    with Session(db.engine) as other:  # someone else's request
        theirs = other.get(model, obj.id)
        setattr(theirs, field, "their text")
        theirs.revision = revision + 1
        other.commit()
    recorded = changes(object_type=history.object_type_of(obj), object_id=obj.id)
    with pytest.raises(history.StaleEdit) as refused:
        history.apply_changes(obj, people.other, {field: "my text"}, revision=revision)
    db.session.commit()
    assert refused.value.obj.revision == revision + 1 and getattr(refused.value.obj, field) == "their text"
    assert db.session.scalar(select(getattr(model, field)).where(model.id == obj.id)) == "their text" != before
    assert changes(object_type=history.object_type_of(obj), object_id=obj.id) == recorded
