"""The drawn cards, kept on disk under the instance folder (``<instance>/cards/``).

A card is stored under a hash of everything it shows (:meth:`webapp.cards.drawing.Card.key`), so a package or
grid that changes (an edit, a fetch bringing new stars) gets a new card on its next request, and the hash is the
ETag: a client holding the card is answered 304 without reading or drawing anything. Writing the new card
deletes the object's older ones. A folder that cannot be written (a read-only install) only means every card is
drawn afresh.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from flask import current_app

from webapp.cards.drawing import Card, draw_card

logger = logging.getLogger(__name__)


def card_etag(card: Card) -> str:
    """The card's cache key and ETag."""
    return hashlib.sha256(card.key().encode()).hexdigest()[:32]


def _folder() -> Path:
    return Path(current_app.instance_path) / "cards"


def card_png(name: str, card: Card) -> bytes:
    """The PNG of ``card`` for the object called ``name`` (such as ``package-12``): stored, else drawn and stored."""
    etag = card_etag(card)
    folder = _folder()
    path = folder / f"{name}-{etag}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    png = draw_card(card)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", suffix=".png", delete=False) as handle:
            handle.write(png)
        os.replace(handle.name, path)
        for older in folder.glob(f"{name}-*.png"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        logger.warning("cannot store the card %s in %s", name, folder, exc_info=True)
    return png
