"""One transaction per unit of work: a web request, a CLI command or an RQ job.

Services add to the session and flush (to get ids and to meet unique constraints while they can still say
which field is at fault); they never commit. The unit of work commits once, at its end:

* a web request in the hook :func:`register` installs: a response below 400 commits, anything else rolls
  back; a commit the database refuses (a unique row inserted by a simultaneous request) is a 409 page;
* a CLI command or a job calls :func:`commit` when it is done.

Work that must see the committed rows from another transaction (an RQ worker, a background thread, the fetch
service's own sessions) waits for the commit with :func:`after_commit`; it is dropped if the unit of work is
rolled back. Neutral module: it imports no domain.
"""

from __future__ import annotations

import logging
from typing import Callable

import flask
from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from webapp.errors import render_error
from webapp.extensions import db

logger = logging.getLogger(__name__)

_AFTER_COMMIT = "after_commit"

CONFLICT_MESSAGE = ("Someone saved a change that conflicts with yours at the same moment, so nothing of yours "
                    "was saved. Reload the page and try again.")


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current unit of work is committed; never if it is rolled back."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(db.session, "after_soft_rollback")
def _forget_callbacks(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole unit of work, not a savepoint inside it
        session.info.pop(_AFTER_COMMIT, None)


def commit() -> None:
    """Commit the unit of work, then run what waited for it (see :func:`after_commit`).

    A callback that fails is logged: what it followed is committed and stays so.
    """
    db.session.commit()
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            logger.exception("after-commit callback %r failed", callback)


def rollback() -> None:
    """Abandon the unit of work (and what waited for its commit)."""
    db.session.rollback()


def _end_request(response: Response) -> Response:
    """Commit a successful request's writes, roll back a failed one's."""
    if response.status_code >= 400:
        rollback()
        return response
    try:
        commit()
    except IntegrityError:
        # A simultaneous request committed a row that collides with ours after our checks (and flushes) passed.
        logger.info("commit refused by the database", exc_info=True)
        rollback()
        flask.session.pop("_flashes", None)  # they announced what was just rolled back
        return render_error(409, CONFLICT_MESSAGE)
    return response


def register(app: Flask) -> None:
    """Install the request's commit-or-rollback hook (the session itself is removed at app-context teardown).

    Call it after every other ``after_request`` hook is installed: Flask runs them last-registered first, so a
    409 made here still gets the others' headers.
    """
    app.after_request(_end_request)
