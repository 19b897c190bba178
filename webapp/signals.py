"""What one domain announces and another reacts to, with Flask's signals (blinker).

The catalogue says "a package was saved" or "someone asked for a fresh fetch"; the fetch service listens
(:func:`webapp.fetch.services.connect_signals`, wired in the app factory). So the catalogue never imports
the fetch service, which itself builds on the catalogue's models. Neutral ground: imports no domain.
"""

from __future__ import annotations

from flask import current_app
from flask.signals import Namespace

_signals = Namespace()

# Sent with ``package_id`` and ``created`` (True for a package just added) once the package is saved.
# A receiver may return a status string saying what it started ("queued", "started", "off", ...).
package_saved = _signals.signal("package-saved")

# Sent with ``package_id`` when a person presses "Fetch now"; the receiver returns the fetch's status.
fetch_requested = _signals.signal("fetch-requested")

# Sent (no arguments) by every run of the periodic refresh (`flask fetch --every`, the RQ cron job) outside any
# unit of work: a receiver refreshes what its domain keeps from elsewhere (the readiness domain: release cycles),
# commits it itself, and may return a line saying what it did.
periodic_refresh = _signals.signal("periodic-refresh")


def announce(signal, **kwargs) -> str | None:
    """Send ``signal`` from the current app; the first status a receiver returns, or ``None``."""
    for _receiver, status in signal.send(current_app._get_current_object(), **kwargs):
        if status is not None:
            return status
    return None


# Sent with ``package_id`` and ``creator_id`` when the catalogue asks whether anyone but the package's creator
# relies on it (the rule for a creator deleting their own package); a receiver returns an SQL condition, true
# when someone does in its domain (the grids: a grid someone else put it in), so the question stays one query.
package_claim_asked = _signals.signal("package-claim-asked")

# Sent with ``package`` and ``user`` inside the unit of work that deletes the package, just before it goes: a
# receiver undoes what its domain holds of the package (the grids: their column, counts and history entries).
package_deleting = _signals.signal("package-deleting")

# Sent with ``obj`` (the object) and ``field`` by the history inside the unit of work that reverted a change of
# one field, so the domain owning the object can recompute what follows from it (the catalogue: the score).
change_reverted = _signals.signal("change-reverted")
# Sent with ``query`` when a package list is filtered by text; a receiver returns an SQL condition on packages
# (the search domain: every word of the query, found through the search index), so lists and search agree.
package_text_filter_asked = _signals.signal("package-text-filter-asked")



def answers(signal, **kwargs) -> list:
    """Send ``signal`` from the current app; every answer that is not ``None``."""
    return [answer for _receiver, answer in signal.send(current_app._get_current_object(), **kwargs)
            if answer is not None]
