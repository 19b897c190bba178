"""The moderation queue: staff approve flags (the package leaves lists and grids) or dismiss them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.editing_support import a_package, fresh, html, post
from tests.factories import make_grid, make_package, make_user
from webapp.catalog.models import Flag, Package
from webapp.extensions import db
from webapp.history.models import Change


def flag(package, user, reason="spam", status="open") -> Flag:
    item = Flag(package_id=package.id, user_id=user.id, reason=reason, status=status)
    db.session.add(item)
    db.session.commit()
    return item


def test_queue_is_for_staff_only(client, other_client, people, auth):
    response = client.get("/moderation/")
    assert response.status_code == 302 and response.location.startswith("/accounts/login/?next=/moderation/")
    auth.sign_in(people.other)
    assert client.get("/moderation/").status_code == 403
    assert 'href="/moderation/"' not in html(client.get("/packages/"))
    auth(other_client).sign_in(people.staff)
    assert other_client.get("/moderation/").status_code == 200
    assert 'href="/moderation/"' in html(other_client.get("/packages/"))


def test_queue_lists_open_flags_with_reporter_and_reason(client, people, auth):
    package = a_package()
    item = flag(package, people.other, reason="Not a package, **just** an ad.")
    flag(a_package(title="done", slug="done", repo_url="https://github.com/a/done"), people.other,
         reason="old report", status="dismissed")
    auth.sign_in(people.staff)
    page = html(client.get("/moderation/"))
    assert f'id="flag-item-{item.id}"' in page
    assert "Open flags <span class=\"badge\">1</span>" in page
    assert "<strong>just</strong>" in page  # the reason is markdown, sanitised
    assert "oscar" in page and 'href="/packages/p/widget/"' in page
    assert f'action="/moderation/flags/{item.id}/approve/"' in page
    assert f'action="/moderation/flags/{item.id}/dismiss/"' in page
    assert "Recently decided" in page and "old report" in page


def test_approve_removes_the_package_from_lists_and_grids(client, other_client, people, auth):
    package = a_package()
    other = make_package("other", category=package.category)
    make_grid("Widgets", packages=[package, other])
    first = flag(package, people.other, reason="Casino spam")
    second = flag(package, people.creator, reason="Also spam")
    auth.sign_in(people.staff)
    response = post(client, f"/moderation/flags/{first.id}/approve/")
    assert response.status_code == 302 and response.location == "/moderation/"
    package = fresh(Package, package.id)
    assert package.removed_at is not None and package.removed_reason == "Casino spam"
    assert {f.status for f in db.session.scalars(select(Flag))} == {"approved"}
    assert fresh(Flag, second.id).resolved_by_id == people.staff.id
    changes = list(db.session.scalars(select(Change).where(Change.package_id == package.id)))
    assert sorted(c.field for c in changes) == ["removed_at", "removed_reason"]
    assert {c.user_id for c in changes} == {people.staff.id}
    assert all(f"Flag #{first.id} approved" in c.summary for c in changes)

    assert "widget" not in html(other_client.get("/packages/")).split('class="package-list"')[1]
    assert 'href="/packages/p/widget/"' not in html(other_client.get("/grids/g/widgets/"))
    assert 'href="/packages/p/other/"' in html(other_client.get("/grids/g/widgets/"))
    page = html(other_client.get("/packages/p/widget/"))
    assert "Removed from lists and grids by the moderators" in page and "Casino spam" in page
    assert "I use this" not in page and 'name="reason"' not in page
    assert "Removed widget from lists and grids." in html(client.get("/moderation/"))
    assert 'id="flag-item-' not in html(client.get("/moderation/"))


def test_approve_with_the_reason_staff_give(client, people, auth):
    package = a_package()
    item = flag(package, people.other, reason="rude words here")
    auth.sign_in(people.staff)
    post(client, f"/moderation/flags/{item.id}/approve/", {"reason": "Duplicate of another package."})
    assert fresh(Package, package.id).removed_reason == "Duplicate of another package."
    response = post(client, f"/moderation/flags/{item.id}/approve/", {"reason": "x" * 1001})
    assert response.status_code == 302


def test_dismiss_keeps_the_package_and_says_so_in_its_history(client, people, auth):
    package = a_package()
    item = flag(package, people.other)
    auth.sign_in(people.staff)
    response = post(client, f"/moderation/flags/{item.id}/dismiss/")
    assert response.status_code == 302
    item = fresh(Flag, item.id)
    assert (item.status, item.resolved_by_id) == ("dismissed", people.staff.id) and item.resolved_at
    assert fresh(Package, package.id).removed_at is None
    [change] = db.session.scalars(select(Change).where(Change.package_id == package.id))
    assert (change.action, change.user_id) == ("dismiss", people.staff.id)
    assert "widget stays listed" in html(client.get("/moderation/"))
    assert "dismissed" in html(client.get("/packages/p/widget/history/"))


def test_a_decided_flag_cannot_be_decided_again(client, people, auth):
    package = a_package()
    item = flag(package, people.other)
    auth.sign_in(people.staff)
    post(client, f"/moderation/flags/{item.id}/dismiss/")
    response = post(client, f"/moderation/flags/{item.id}/approve/")
    assert response.status_code == 302
    assert "was already dismissed" in html(client.get("/moderation/"))
    assert fresh(Package, package.id).removed_at is None
    assert post(client, "/moderation/flags/999/approve/").status_code == 404
    assert post(client, "/moderation/flags/999/dismiss/").status_code == 404


@pytest.mark.parametrize("action", ["approve", "dismiss"])
def test_decisions_are_for_staff_only(client, people, action, auth):
    package = a_package()
    item = flag(package, people.other)
    response = post(client, f"/moderation/flags/{item.id}/{action}/")
    assert response.status_code == 302 and response.location.startswith("/accounts/login/")
    auth.sign_in(people.other)
    assert post(client, f"/moderation/flags/{item.id}/{action}/").status_code == 403
    assert post(client, f"/moderation/flags/{item.id}/{action}/", htmx=True).status_code == 403
    assert fresh(Flag, item.id).status == "open" and fresh(Package, package.id).removed_at is None


@pytest.mark.parametrize("action", ["approve", "dismiss"])
def test_decisions_need_the_csrf_token(client, people, action, auth):
    package = a_package()
    item = flag(package, people.other)
    auth.sign_in(people.staff)
    assert post(client, f"/moderation/flags/{item.id}/{action}/", csrf=False).status_code == 400
    assert fresh(Flag, item.id).status == "open" and fresh(Package, package.id).removed_at is None


def test_staff_undo_a_removal_from_the_package_history(client, people, auth):
    package = a_package()
    item = flag(package, people.other)
    auth.sign_in(people.staff)
    post(client, f"/moderation/flags/{item.id}/approve/")
    removed_at = db.session.scalar(select(Change).where(Change.field == "removed_at"))
    response = post(client, f"/history/{removed_at.id}/revert/",
                    headers={"Referer": "http://localhost/packages/p/widget/history/"})
    assert response.status_code == 302 and response.location == "/packages/p/widget/history/"
    assert fresh(Package, package.id).removed_at is None
    assert 'href="/packages/p/widget/"' in html(client.get("/packages/"))
    # ...and the undo can be undone: the removal time comes back as a time.
    revert = db.session.scalar(select(Change).where(Change.action == "revert"))
    post(client, f"/history/{revert.id}/revert/")
    again = fresh(Package, package.id).removed_at
    assert again is not None and again == fresh(Package, package.id).removed_at
    assert again.tzinfo is not None


def test_queue_query_count_does_not_grow(client, people, count_queries, auth):
    auth.sign_in(people.staff)
    counts = []
    for size in (3, 40):
        for index in range(size):
            package = make_package(f"p{size}-{index}")
            reporter = make_user()
            flag(package, reporter, reason=f"reason {index}")
            if index % 3 == 0:
                flag(package, make_user(), reason="decided", status="approved")
        client.get("/moderation/")
        with count_queries() as counter:
            assert client.get("/moderation/").status_code == 200
        counts.append(counter.count)
    # the user, the open flags (count + page), the decided ones and the site banner
    assert counts[0] == counts[1] == 5
