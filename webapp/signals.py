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


def announce(signal, **kwargs) -> str | None:
    """Send ``signal`` from the current app; the first status a receiver returns, or ``None``."""
    for _receiver, status in signal.send(current_app._get_current_object(), **kwargs):
        if status is not None:
            return status
    return None
